// xnet-mapread: reads and writes pinned BPF maps for the agent, the way the kernel keeps them, a few bytes a row.
//
// The agent read its counter map once a second through `bpftool -j -p map dump`: at 50 peers that was 98
// entries, 3,700 lines and 130 KB of JSON a second per host (every value per CPU, twice: raw bytes and BTF
// "formatted"), which bpftool formatted and the agent framed and parsed. Here a row is the key in hex and the
// value's 64-bit words summed over the CPUs, as the agent adds them up anyway.
//
// It writes the VXLAN admission's map too: a write through bpftool's session waited behind bpftool's JSON,
// and on the loaded 50-host lab a member's admission took seconds, sometimes a 5 s timeout and a retry.
//
// Long-lived: one request a line on stdin, its answer on stdout (written at once when complete), in order.
//   sum PATH                 every entry of the map pinned at PATH: "KEYHEX W0 W1 ..." a row
//   get PATH KEYHEX          the entry with that key, the same row; no row when there is none
//   keys PATH                every key: "KEYHEX" a row (any value size)
//   set PATH KEYHEX VALHEX   creates or replaces the entry (not a per-CPU map); no row
//   del PATH KEYHEX          deletes the entry, if there is one; no row
// An answer ends with a line "."; a failed request answers one line "! reason" instead, and the next is read.
// For sum and get the value must be whole 64-bit words (the counters' struct value and struct slot are). Maps
// are opened per request: a pin replaced by a reload is read as it is now.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_KEY 64
#define MAX_VALUE 4096

static void fail(const char *what, int err) { printf("! %s: %s\n", what, strerror(err)); }

static int from_hex(const char *hex, unsigned char *out, unsigned size) {
	if (strlen(hex) != 2 * size) return -1;
	for (unsigned i = 0; i < size; i++) {
		unsigned b;
		if (sscanf(hex + 2 * i, "%2x", &b) != 1) return -1;
		out[i] = (unsigned char)b;
	}
	return 0;
}

static void row(const unsigned char *key, unsigned key_size, const uint64_t *values, unsigned words,
		unsigned cpus, unsigned stride_words) {
	for (unsigned i = 0; i < key_size; i++) printf("%02x", key[i]);
	for (unsigned w = 0; w < words; w++) {
		uint64_t sum = 0;
		for (unsigned c = 0; c < cpus; c++) sum += values[c * stride_words + w];
		printf(" %llu", (unsigned long long)sum);
	}
	putchar('\n');
}

// The map pinned at PATH and what it holds; -1 with the failure answered.
static int open_map(const char *path, struct bpf_map_info *info) {
	int fd = bpf_obj_get(path);
	if (fd < 0) {
		fail(path, errno);
		return -1;
	}
	__u32 len = sizeof(*info);
	memset(info, 0, sizeof(*info));
	if (bpf_obj_get_info_by_fd(fd, info, &len)) {
		fail(path, errno);
		close(fd);
		return -1;
	}
	return fd;
}

// keys, set and del: any value size up to MAX_VALUE.
static void keys_or_write(const char *verb, const char *path, const char *hex, const char *valhex) {
	struct bpf_map_info info;
	int fd = open_map(path, &info);
	if (fd < 0) return;
	unsigned char key[MAX_KEY], value[MAX_VALUE];
	if (info.key_size > MAX_KEY || info.value_size > MAX_VALUE)
		printf("! %s: key over %d or value over %d bytes\n", path, MAX_KEY, MAX_VALUE);
	else if (!strcmp(verb, "keys")) {
		void *prev = NULL;
		unsigned char next[MAX_KEY];
		while (!bpf_map_get_next_key(fd, prev, next)) {
			memcpy(key, next, info.key_size);
			prev = key;
			for (unsigned i = 0; i < info.key_size; i++) printf("%02x", key[i]);
			putchar('\n');
		}
		if (errno == ENOENT)
			printf(".\n");
		else
			fail(path, errno);
	} else if (from_hex(hex, key, info.key_size))
		printf("! %s: the key is not %u bytes of hex\n", path, info.key_size);
	else if (!strcmp(verb, "del")) {
		if (!bpf_map_delete_elem(fd, key) || errno == ENOENT)
			printf(".\n");
		else
			fail(path, errno);
	} else if (info.type == BPF_MAP_TYPE_PERCPU_HASH || info.type == BPF_MAP_TYPE_PERCPU_ARRAY ||
		   info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH)
		printf("! %s: set writes one value, not one per CPU\n", path);
	else if (from_hex(valhex, value, info.value_size))
		printf("! %s: the value is not %u bytes of hex\n", path, info.value_size);
	else if (!bpf_map_update_elem(fd, key, value, BPF_ANY))
		printf(".\n");
	else
		fail(path, errno);
	close(fd);
}

static void request(char *line) {
	char *verb = strtok(line, " \n");
	char *path = strtok(NULL, " \n");
	char *hex = strtok(NULL, " \n");
	char *valhex = strtok(NULL, " \n");
	if (verb && path && !strcmp(verb, "keys")) return keys_or_write(verb, path, NULL, NULL);
	if (verb && path && hex && !strcmp(verb, "del")) return keys_or_write(verb, path, hex, NULL);
	if (verb && path && hex && valhex && !strcmp(verb, "set")) return keys_or_write(verb, path, hex, valhex);
	if (!verb || !path || (strcmp(verb, "sum") && strcmp(verb, "get")) || (!strcmp(verb, "get") && !hex)) {
		printf("! usage: sum PATH | get PATH KEYHEX | keys PATH | set PATH KEYHEX VALHEX | del PATH KEYHEX\n");
		return;
	}
	struct bpf_map_info info;
	int fd = open_map(path, &info);
	if (fd < 0) return;
	int percpu = info.type == BPF_MAP_TYPE_PERCPU_HASH || info.type == BPF_MAP_TYPE_PERCPU_ARRAY ||
		     info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	int cpus = percpu ? libbpf_num_possible_cpus() : 1;
	if (info.key_size > MAX_KEY || info.value_size % 8 || cpus < 1) {
		printf("! %s: key over %d bytes or a value not in 64-bit words\n", path, MAX_KEY);
		close(fd);
		return;
	}
	// A per-CPU map's values come one per possible CPU, each rounded up to 8 bytes (whole words here).
	unsigned words = info.value_size / 8;
	uint64_t *values = calloc((size_t)cpus * words, sizeof(uint64_t));
	unsigned char key[MAX_KEY], next[MAX_KEY];
	if (!values) {
		fail(path, ENOMEM);
		close(fd);
		return;
	}
	if (!strcmp(verb, "get")) {
		if (from_hex(hex, key, info.key_size))
			printf("! %s: the key is not %u bytes of hex\n", path, info.key_size);
		else if (!bpf_map_lookup_elem(fd, key, values)) {
			row(key, info.key_size, values, words, cpus, words);
			printf(".\n");
		} else if (errno == ENOENT)
			printf(".\n");
		else
			fail(path, errno);
	} else {
		// Walked with get_next_key: an entry deleted under us ends its lookup with ENOENT, and is left out.
		void *prev = NULL;
		int err = 0;
		while (!bpf_map_get_next_key(fd, prev, next)) {
			memcpy(key, next, info.key_size);
			prev = key;
			if (!bpf_map_lookup_elem(fd, key, values))
				row(key, info.key_size, values, words, cpus, words);
			else if (errno != ENOENT) {
				err = errno;
				break;
			}
		}
		if (!err && errno != ENOENT) err = errno;
		if (err)
			fail(path, err);
		else
			printf(".\n");
	}
	free(values);
	close(fd);
}

int main(void) {
	static char out[1 << 16];
	setvbuf(stdout, out, _IOFBF, sizeof(out));
	char line[4096];
	while (fgets(line, sizeof(line), stdin)) {
		request(line);
		fflush(stdout);
	}
	return 0;
}
