// SPDX-License-Identifier: (Apache-2.0 OR GPL-2.0)
// bench/counters and bench/overlay's floor: what a tc program that does nothing costs on the same hooks.
// pass_* run before ours (a lower priority number) and hands the packet on to the next filter
// (TC_ACT_UNSPEC), so the statistics give both side by side on the same packets; empty_ok stands in for our
// programs (pref 49) on the overlay's "empty hooks" path: the hook and the classifier around a program, no work.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

// One copy per hook, so the statistics say each hook's floor beside our program on it.
#define PASS(name)                                                                                         \
	SEC("tc") int pass_##name(struct __sk_buff *skb) { return TC_ACT_UNSPEC; }
PASS(veth_ingress)
PASS(veth_egress)
PASS(underlay_ingress)
PASS(underlay_egress)

SEC("tc")
int empty_ok(struct __sk_buff *skb) { return TC_ACT_OK; }

char _license[] SEC("license") = "Dual BSD/GPL";
