// SPDX-License-Identifier: (Apache-2.0 OR GPL-2.0)
// xnet-tui's packet counters on tc (clsact) hooks. The kernel counts; the agent only reads the map.
// Every program returns TC_ACT_OK: counting never changes forwarding.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

enum { DIR_INGRESS = 0, DIR_EGRESS = 1 };
enum { P_TCP = 0, P_UDP = 1, P_ICMP = 2, P_ARP = 3, P_OTHER = 4 };

struct key {
	__u32 ifindex; // the hooked interface
	__u32 peer;    // outer IPv4 address (network order) on the underlay; on a LAN port, the label of the
	               // other end's address (xnet_lan); 0 on a container's veth
	__u8 dir;      // DIR_INGRESS / DIR_EGRESS as the hooked interface sees it
	__u8 proto;    // P_*: of the frame on a veth, of the inner frame on the underlay
	__u16 pad;
};

struct value {
	__u64 packets;  // skbs, as tcpdump and the interface counters count them
	__u64 bytes;    // skb->len (link-layer header included)
	__u64 segments; // GSO segments (1 for a packet that is not GSO)
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct key);
	__type(value, struct value);
} xnet_counters SEC(".maps");

// [0]: the tunnel's UDP port (host order), written by the agent; 0 counts nothing on the underlay.
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} xnet_config SEC(".maps");

// A LAN port's other end: the prefix its IPv4 address falls in (a member's slice or address, the gateway, the
// LAN, ...) -> the label counted as the key's peer, so the key space grows with members, not with addresses.
struct lan_key {
	__u32 prefixlen;
	__u32 addr; // network order
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__type(key, struct lan_key);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} xnet_lan SEC(".maps");

static __always_inline __u8 l3_proto(__u16 eth_proto, __u8 ip_proto, int v6)
{
	if (eth_proto == ETH_P_ARP)
		return P_ARP;
	if (eth_proto != ETH_P_IP && eth_proto != ETH_P_IPV6)
		return P_OTHER;
	if (ip_proto == 6)
		return P_TCP;
	if (ip_proto == 17)
		return P_UDP;
	if (ip_proto == (v6 ? 58 : 1))
		return P_ICMP;
	return P_OTHER;
}

// The protocol of the Ethernet frame at `off` (one VLAN tag skipped), read with skb_load_bytes so a
// non-linear skb (GSO, GRO) is read as well as a linear one.
static __always_inline __u8 frame_proto(struct __sk_buff *skb, __u32 off)
{
	__u16 type;
	__u8 ip_proto = 0;

	if (bpf_skb_load_bytes(skb, off + 12, &type, 2) < 0)
		return P_OTHER;
	type = bpf_ntohs(type);
	off += 14;
	if (type == ETH_P_8021Q || type == ETH_P_8021AD) {
		if (bpf_skb_load_bytes(skb, off + 2, &type, 2) < 0)
			return P_OTHER;
		type = bpf_ntohs(type);
		off += 4;
	}
	if (type == ETH_P_IP && bpf_skb_load_bytes(skb, off + 9, &ip_proto, 1) < 0)
		return P_OTHER;
	if (type == ETH_P_IPV6 && bpf_skb_load_bytes(skb, off + 6, &ip_proto, 1) < 0)
		return P_OTHER;
	return l3_proto(type, ip_proto, type == ETH_P_IPV6);
}

static __always_inline void count(struct __sk_buff *skb, __u32 peer, __u8 dir, __u8 proto)
{
	struct key k = { .ifindex = skb->ifindex, .peer = peer, .dir = dir, .proto = proto };
	struct value *v = bpf_map_lookup_elem(&xnet_counters, &k);
	__u32 segs = skb->gso_segs ? skb->gso_segs : 1;

	if (!v) {
		struct value zero = {};
		bpf_map_update_elem(&xnet_counters, &k, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&xnet_counters, &k);
		if (!v)
			return; // the map is full: the agent sees it in its own entry count
	}
	// Per-CPU values: no other CPU writes this copy, so plain adds are exact.
	v->packets += 1;
	v->bytes += skb->len;
	v->segments += segs;
}

static __always_inline int veth(struct __sk_buff *skb, __u8 dir)
{
	count(skb, 0, dir, frame_proto(skb, 0));
	return TC_ACT_OK;
}

// IPv4 UDP to or from the tunnel port: counted per outer peer address, by the inner frame's protocol.
static __always_inline int underlay(struct __sk_buff *skb, __u8 dir)
{
	__u32 zero = 0;
	__u32 *port = bpf_map_lookup_elem(&xnet_config, &zero);
	struct iphdr ip;
	__u16 ports[2];
	__u16 type;
	__u32 l4;
	__u8 proto = P_OTHER;

	if (!port || !*port)
		return TC_ACT_OK;
	if (bpf_skb_load_bytes(skb, 12, &type, 2) < 0 || type != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	if (bpf_skb_load_bytes(skb, 14, &ip, sizeof(ip)) < 0 || ip.protocol != 17)
		return TC_ACT_OK;
	// A non-first fragment has no UDP header; tcpdump's "udp port N" does not match it either.
	if (ip.frag_off & bpf_htons(0x1fff))
		return TC_ACT_OK;
	l4 = 14 + ip.ihl * 4;
	if (bpf_skb_load_bytes(skb, l4, ports, 4) < 0)
		return TC_ACT_OK;
	if (bpf_ntohs(ports[0]) != *port && bpf_ntohs(ports[1]) != *port)
		return TC_ACT_OK;
	proto = frame_proto(skb, l4 + 8 + 8);
	count(skb, dir == DIR_INGRESS ? ip.saddr : ip.daddr, dir, proto);
	return TC_ACT_OK;
}

// A port of a LAN bridge (bridge driver): no tunnel names the peer, so the other end's own IPv4 address does.
// Ingress is what the container sent (the other end is the destination); egress what it gets (the source).
static __always_inline int port(struct __sk_buff *skb, __u8 dir)
{
	struct lan_key k = { .prefixlen = 32, .addr = 0 };
	__u32 *label;
	__u16 type;

	if (bpf_skb_load_bytes(skb, 12, &type, 2) == 0) {
		if (type == bpf_htons(ETH_P_IP))
			bpf_skb_load_bytes(skb, dir == DIR_INGRESS ? 14 + 16 : 14 + 12, &k.addr, 4);
		else if (type == bpf_htons(ETH_P_ARP)) // IPv4 over Ethernet: sender at 14, target at 24
			bpf_skb_load_bytes(skb, dir == DIR_INGRESS ? 14 + 24 : 14 + 14, &k.addr, 4);
	}
	label = k.addr ? bpf_map_lookup_elem(&xnet_lan, &k) : 0;
	count(skb, label ? *label : 0, dir, frame_proto(skb, 0));
	return TC_ACT_OK;
}

SEC("tc")
int veth_ingress(struct __sk_buff *skb) { return veth(skb, DIR_INGRESS); }

SEC("tc")
int veth_egress(struct __sk_buff *skb) { return veth(skb, DIR_EGRESS); }

SEC("tc")
int port_ingress(struct __sk_buff *skb) { return port(skb, DIR_INGRESS); }

SEC("tc")
int port_egress(struct __sk_buff *skb) { return port(skb, DIR_EGRESS); }

SEC("tc")
int underlay_ingress(struct __sk_buff *skb) { return underlay(skb, DIR_INGRESS); }

SEC("tc")
int underlay_egress(struct __sk_buff *skb) { return underlay(skb, DIR_EGRESS); }

char _license[] SEC("license") = "Dual BSD/GPL";
