/*
 * vmap-purge: make an x86_64 Linux 3.x dom0 free its lazily unmapped vmalloc
 * areas now. Used by jobs/netback-stress before each memory snapshot.
 *
 * Why: netback maps each VIF's two rings with xenbus_map_ring_valloc() and
 * unmaps them with free_vm_area(). Linux 3.11 does not free the vmap_area of
 * an unmapped range at once: it marks it lazily freed and purges such areas
 * in a batch only when 32 MB worth (lazy_max_pages(): 8192 pages with one
 * CPU) have piled up, about every 2000 guest lifecycles at 4 pages each. In
 * between, every VIF ever torn down still holds two vmap_area objects in
 * kmalloc-128 (shown by testhost/slab-sites), which a snapshot cannot tell
 * from a leak.
 *
 * How: vm_unmap_aliases() purges them synchronously, and x86's
 * change_page_attr_set_clr() calls it on every set_memory_*(). The one path
 * from user space to set_memory_* in our dom0 config is the classic BPF JIT
 * (CONFIG_BPF_JIT, x86_64 only): bpf_jit_compile() makes the image read-only
 * with set_memory_ro() when a socket filter is attached. So: switch the JIT
 * on if it is off, attach a one-instruction filter to a socket, close it,
 * restore the switch, and wait for the filter's RCU-deferred release.
 *
 * The release (bpf_jit_free(), an RCU callback in 3.11) calls set_memory_rw()
 * from softirq context: vm_unmap_aliases() there takes purge_lock, which a
 * process-context purge running on the same CPU would hold. Waiting here
 * until the release has run keeps our own purges from overlapping; nothing
 * else in dom0 purges synchronously (the lazy purge in free_vmap_area_noflush
 * only trylocks). The JIT image itself is then freed lazily, one vmap_area
 * per call: the same number pending at every snapshot.
 *
 *   vmap-purge [WAIT_MS]   WAIT_MS: wait after closing (default 1000)
 * Exit status 0 once the filter was attached with the JIT on; 1 otherwise,
 * with one line on stderr saying why (e.g. no BPF JIT in this kernel).
 */
#define _DEFAULT_SOURCE /* SO_ATTACH_FILTER */
#include <errno.h>
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char knob[] = "/proc/sys/net/core/bpf_jit_enable";

static int read_knob(int *value)
{
	FILE *f = fopen(knob, "r");
	int ok;

	if (!f)
		return -1;
	ok = fscanf(f, "%d", value) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

static int write_knob(int value)
{
	FILE *f = fopen(knob, "w");
	int ok;

	if (!f)
		return -1;
	ok = fprintf(f, "%d\n", value) > 0;
	/* the kernel's answer to the write comes with the flush in fclose */
	if (fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	/* accept every packet: the program only has to exist and be compiled */
	struct sock_filter insn[] = { BPF_STMT(BPF_RET | BPF_K, 0xffff) };
	struct sock_fprog prog = { .len = 1, .filter = insn };
	char *end = NULL;
	long wait_ms = argc > 1 ? strtol(argv[1], &end, 10) : 1000;
	struct timespec ts;
	int was, fd, rc = 0;

	if (argc > 2 || wait_ms < 0 || (end && (end == argv[1] || *end))) {
		fprintf(stderr, "usage: vmap-purge [WAIT_MS]\n");
		return 2;
	}
	ts.tv_sec = wait_ms / 1000;
	ts.tv_nsec = (wait_ms % 1000) * 1000000L;
	if (read_knob(&was) != 0) {
		fprintf(stderr, "vmap-purge: cannot read %s: %s (a kernel without CONFIG_BPF_JIT?)\n",
			knob, strerror(errno));
		return 1;
	}
	if (was == 0 && write_knob(1) != 0) {
		fprintf(stderr, "vmap-purge: cannot switch the BPF JIT on (%s): %s\n", knob,
			strerror(errno));
		return 1;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		fprintf(stderr, "vmap-purge: socket: %s\n", strerror(errno));
		rc = 1;
		goto restore;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) != 0) {
		fprintf(stderr, "vmap-purge: SO_ATTACH_FILTER: %s\n", strerror(errno));
		rc = 1;
	}
	close(fd);
restore:
	if (was == 0 && write_knob(0) != 0) {
		fprintf(stderr, "vmap-purge: cannot switch the BPF JIT back off: %s\n",
			strerror(errno));
		rc = 1;
	}
	nanosleep(&ts, NULL);
	return rc;
}
