// SPDX-License-Identifier: (Apache-2.0 OR GPL-2.0)
// xnet-tui's packet counters on tc (clsact) hooks. The kernel counts; the agent only reads the map.
// Counting never changes forwarding. The vxlan driver's fast path (fast_* programs, below) also forwards: a
// container's unicast frame for a remote MAC goes from its veth straight to the VXLAN device, and a frame the
// tunnel brings for a local container straight into that container's namespace, both past the bridge.
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

// A container's veth counts in a slot of its own: an array entry the agent gives each hooked veth and tells
// the program through the tc filter's classid (cls_bpf sets skb->tc_classid to its minor before the program
// runs). One array lookup, which the verifier inlines for a per-CPU array (6.10+), against a jhash of the
// 12-byte key and a bucket walk. Slot 0 is none (a veth hooked without one: the hash, by ifindex, as before).
// The agent zeroes a slot before it gives it again; `VETH_SLOTS` keeps the map small on many-CPU hosts
// (240 bytes a slot a CPU): beyond it, veths count in the hash.
#define VETH_SLOTS 1024

struct slot {
	struct value c[2][5]; // [dir][proto]
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VETH_SLOTS);
	__type(key, __u32);
	__type(value, struct slot);
} xnet_veths SEC(".maps");

// The agent's settings, written through the pinned `counters_bss` map (one struct, so its layout is fixed):
// globals rather than an array map: a program reads one with one load, no lookup. (Not `const volatile` in
// .rodata: libbpf freezes that at load, and bpftool's loadall cannot set it first.)
struct config {
	__u32 tunnel_port;    // the tunnel's UDP port (host order); 0 counts nothing on the underlay
	__u32 tunnel_ifindex; // the VXLAN device in the overlay namespace; 0: no fast path (the bridge carries all)
	__u32 flags;          // FAST_*
};
volatile struct config xnet_config;

// FAST_PLAIN: a frame for a local container is redirected to its host-side veth's egress (past the bridge only)
// rather than into its namespace (bpf_redirect_peer); FAST_NOCOUNT: the fast path without counting (bench).
#define FAST_PLAIN 1
#define FAST_NOCOUNT 2

// This host's endpoints on the overlay by MAC: the containers (their host-side veth and slot), the bridge and
// the host's link (ifindex 0: the bridge's business). What is not here and is unicast is a remote MAC, for the
// tunnel. The agent writes an entry before the container's end is up, so no local frame is ever sent away.
struct local_key {
	__u8 mac[6];
	__u16 pad;
};

struct local {
	__u32 ifindex; // the container's host-side veth; 0: not a container (bridge, host link)
	__u32 slot;    // its slot in xnet_veths (0: none, counted in the hash)
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct local_key);
	__type(value, struct local);
} xnet_local SEC(".maps");

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

// Deepest offset a header is read at: outer Ethernet, IPv4 with options, UDP, VXLAN, inner Ethernet and a tag.
#define MAX_OFF 192

// `len` bytes of the frame at `off`: in place when the linear head holds them (the normal case: a veth's
// frame, and the outer and inner headers of a VXLAN frame, GSO or not), else copied into `buf` with
// bpf_skb_load_bytes (a non-linear head), NULL past the frame's end. The same bytes either way, so the two
// paths count alike. Never bpf_skb_pull_data: counting must not change the skb it counts.
static __always_inline void *at(struct __sk_buff *skb, __u32 off, __u32 len, void *buf)
{
#ifndef XNET_COPY_ONLY // a lab test builds the object with it, to hold the fallback to the same frames
	void *end = (void *)(long)skb->data_end;
	__u8 *p = (__u8 *)(long)skb->data + off;

	if (off <= MAX_OFF && (void *)(p + len) <= end)
		return p;
#endif
	return bpf_skb_load_bytes(skb, off, buf, len) < 0 ? NULL : buf;
}

// The protocol of the Ethernet frame at `off` (one VLAN tag skipped).
static __always_inline __u8 frame_proto(struct __sk_buff *skb, __u32 off)
{
	__u16 tbuf, *type;
	__u8 pbuf, *ip_proto;
	__u16 t;

	type = at(skb, off + 12, 2, &tbuf);
	if (!type)
		return P_OTHER;
	t = bpf_ntohs(*type);
	off += 14;
	if (t == ETH_P_8021Q || t == ETH_P_8021AD) {
		type = at(skb, off + 2, 2, &tbuf);
		if (!type)
			return P_OTHER;
		t = bpf_ntohs(*type);
		off += 4;
	}
	if (t != ETH_P_IP && t != ETH_P_IPV6)
		return l3_proto(t, 0, 0);
	ip_proto = at(skb, off + (t == ETH_P_IP ? 9 : 6), 1, &pbuf);
	if (!ip_proto)
		return P_OTHER;
	return l3_proto(t, *ip_proto, t == ETH_P_IPV6);
}

// Per-CPU values: no other CPU writes this copy, so plain adds are exact.
static __always_inline void add(struct value *v, struct __sk_buff *skb)
{
	v->packets += 1;
	v->bytes += skb->len;
	v->segments += skb->gso_segs ? skb->gso_segs : 1;
}

static __always_inline void count_at(struct __sk_buff *skb, __u32 ifindex, __u32 peer, __u8 dir, __u8 proto)
{
	struct key k = { .ifindex = ifindex, .peer = peer, .dir = dir, .proto = proto };
	struct value *v = bpf_map_lookup_elem(&xnet_counters, &k);

	if (!v) {
		struct value zero = {};
		bpf_map_update_elem(&xnet_counters, &k, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&xnet_counters, &k);
		if (!v)
			return; // the map is full: the agent sees it in its own entry count
	}
	add(v, skb);
}

static __always_inline void count(struct __sk_buff *skb, __u32 peer, __u8 dir, __u8 proto)
{
	count_at(skb, skb->ifindex, peer, dir, proto);
}

// A container's frame into its slot (0: the hash, by its host-side veth's ifindex).
static __always_inline void count_veth(struct __sk_buff *skb, __u32 slot, __u32 ifindex, __u8 dir)
{
	__u8 proto = frame_proto(skb, 0);
	struct slot *s;

	if (slot != 0 && slot < VETH_SLOTS) {
		s = bpf_map_lookup_elem(&xnet_veths, &slot);
		if (s && proto <= P_OTHER) {
			add(&s->c[dir][proto], skb);
			return;
		}
	}
	count_at(skb, ifindex, 0, dir, proto);
}

static __always_inline int veth(struct __sk_buff *skb, __u8 dir)
{
	count_veth(skb, skb->tc_classid, skb->ifindex, dir);
	return TC_ACT_OK;
}

// The destination MAC's entry in xnet_local, NULL when it has none; `*group` when it is broadcast or multicast.
static __always_inline struct local *dest(struct __sk_buff *skb, int *group)
{
	struct local_key k = {};
	__u8 buf[6], *mac = at(skb, 0, 6, buf);

	*group = 1;
	if (!mac || (mac[0] & 1))
		return NULL;
	*group = 0;
	__builtin_memcpy(k.mac, mac, 6);
	return bpf_map_lookup_elem(&xnet_local, &k);
}

// A container's host-side veth, ingress (what the container sends): counted as veth_ingress does, then a unicast
// frame for a MAC that is not local goes straight to the VXLAN device, whose FDB picks the VTEP as it does for
// the bridge. Broadcast, multicast and local destinations take the bridge.
static __always_inline int fast_out(struct __sk_buff *skb)
{
	__u32 tunnel = xnet_config.tunnel_ifindex;
	int group;

	if (!(xnet_config.flags & FAST_NOCOUNT))
		count_veth(skb, skb->tc_classid, skb->ifindex, DIR_INGRESS);
	if (!tunnel || dest(skb, &group) || group)
		return TC_ACT_OK;
	return bpf_redirect(tunnel, 0);
}

// The VXLAN device, ingress (decapsulated frames): one for a local container goes into its namespace
// (bpf_redirect_peer: past the bridge and the host-side veth, whose egress hook no longer sees it, so it is
// counted here, in the container's slot, as veth_egress would), or with FAST_PLAIN to the host-side veth's
// egress (past the bridge only; veth_egress counts it there). Anything else takes the bridge.
static __always_inline int fast_in(struct __sk_buff *skb)
{
	struct local *l;
	int group;

	if (!xnet_config.tunnel_ifindex)
		return TC_ACT_OK;
	l = dest(skb, &group);
	if (!l || !l->ifindex)
		return TC_ACT_OK;
	if (xnet_config.flags & FAST_PLAIN)
		return bpf_redirect(l->ifindex, 0);
	if (!(xnet_config.flags & FAST_NOCOUNT))
		count_veth(skb, l->slot, l->ifindex, DIR_EGRESS); // no slot: the hash, under the veth's ifindex
	return bpf_redirect_peer(l->ifindex, 0);
}

// IPv4 UDP to or from the tunnel port: counted per outer peer address, by the inner frame's protocol.
static __always_inline int underlay(struct __sk_buff *skb, __u8 dir)
{
	__u32 port = xnet_config.tunnel_port;
	struct iphdr ipbuf, *ip;
	__u16 buf[2], *type, *ports;
	__u32 l4, peer;

	if (!port)
		return TC_ACT_OK;
	type = at(skb, 12, 2, buf);
	if (!type || *type != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	ip = at(skb, 14, sizeof(*ip), &ipbuf);
	if (!ip || ip->protocol != 17)
		return TC_ACT_OK;
	// A non-first fragment has no UDP header; tcpdump's "udp port N" does not match it either.
	if (ip->frag_off & bpf_htons(0x1fff))
		return TC_ACT_OK;
	peer = dir == DIR_INGRESS ? ip->saddr : ip->daddr;
	l4 = 14 + ip->ihl * 4;
	ports = at(skb, l4, 4, buf);
	if (!ports || (bpf_ntohs(ports[0]) != port && bpf_ntohs(ports[1]) != port))
		return TC_ACT_OK;
	count(skb, peer, dir, frame_proto(skb, l4 + 8 + 8));
	return TC_ACT_OK;
}

// A port of a LAN bridge (bridge driver): no tunnel names the peer, so the other end's own IPv4 address does.
// Ingress is what the container sent (the other end is the destination); egress what it gets (the source).
static __always_inline int port(struct __sk_buff *skb, __u8 dir)
{
	struct lan_key k = { .prefixlen = 32, .addr = 0 };
	__u32 abuf, *addr = NULL, *label;
	__u16 tbuf, *type;

	type = at(skb, 12, 2, &tbuf);
	if (type && *type == bpf_htons(ETH_P_IP))
		addr = at(skb, dir == DIR_INGRESS ? 14 + 16 : 14 + 12, 4, &abuf);
	else if (type && *type == bpf_htons(ETH_P_ARP)) // IPv4 over Ethernet: sender at 14, target at 24
		addr = at(skb, dir == DIR_INGRESS ? 14 + 24 : 14 + 14, 4, &abuf);
	if (addr)
		k.addr = *addr;
	label = k.addr ? bpf_map_lookup_elem(&xnet_lan, &k) : 0;
	count(skb, label ? *label : 0, dir, frame_proto(skb, 0));
	return TC_ACT_OK;
}

SEC("tc")
int veth_ingress(struct __sk_buff *skb) { return veth(skb, DIR_INGRESS); }

SEC("tc")
int veth_egress(struct __sk_buff *skb) { return veth(skb, DIR_EGRESS); }

SEC("tc")
int fast_ingress(struct __sk_buff *skb) { return fast_out(skb); }

SEC("tc")
int tunnel_ingress(struct __sk_buff *skb) { return fast_in(skb); }

SEC("tc")
int port_ingress(struct __sk_buff *skb) { return port(skb, DIR_INGRESS); }

SEC("tc")
int port_egress(struct __sk_buff *skb) { return port(skb, DIR_EGRESS); }

SEC("tc")
int underlay_ingress(struct __sk_buff *skb) { return underlay(skb, DIR_INGRESS); }

SEC("tc")
int underlay_egress(struct __sk_buff *skb) { return underlay(skb, DIR_EGRESS); }

char _license[] SEC("license") = "Dual BSD/GPL";
