// SPDX-License-Identifier: (Apache-2.0 OR GPL-2.0)
// xnet-tui's VXLAN admission on the underlay's tc ingress (clsact). VXLAN has no authentication, so the tunnel
// takes UDP only from the mesh's members: this program marks a packet to a tunnel port from an address the
// agent admitted (xnet_admit), and the firewall's chain, written once, lets marked packets through and drops
// the rest. A membership change is one map write (no iptables-restore, no lock, no process), and the firewall
// still decides: a packet this program never saw (its hook gone, another interface) is dropped, not let in.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

// The skb mark bit of an admitted packet (vxlan-filter.ts's ADMIT_MARK): one bit, so marks of others' rules
// stay as they are.
#define ADMIT_MARK 0x00200000

struct admit_key {
	__u32 addr; // the member's underlay IPv4 address, network order
	__u16 port; // the tunnel's UDP port, host order
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct admit_key);
	__type(value, __u32);
} xnet_admit SEC(".maps");

SEC("tc")
int admit_ingress(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct admit_key k = {};
	struct iphdr *ip;
	__u16 *ports;

	// Never trust a mark the packet came with; only this program sets the bit on the way in.
	skb->mark &= ~ADMIT_MARK;
	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_UNSPEC;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->protocol != 17 || ip->ihl < 5)
		return TC_ACT_UNSPEC;
	// A non-first fragment has no UDP header; reassembly keeps the first fragment's mark.
	if (ip->frag_off & bpf_htons(0x1fff))
		return TC_ACT_UNSPEC;
	ports = (void *)ip + ip->ihl * 4;
	if ((void *)(ports + 2) > end)
		return TC_ACT_UNSPEC;
	k.addr = ip->saddr;
	k.port = bpf_ntohs(ports[1]);
	if (bpf_map_lookup_elem(&xnet_admit, &k))
		skb->mark |= ADMIT_MARK;
	// UNSPEC: the next filter on the hook (the counters') still runs, and the packet goes on.
	return TC_ACT_UNSPEC;
}

char _license[] SEC("license") = "Dual BSD/GPL";
