// xnet-spawner: starts the agent's long-lived tools (the probe loops' fping) and hands their output back, one
// line at a time, so the agent never forks itself for them.
//
// A spawn from Node forks the whole agent (about 100 MB: its page tables copied, 2.6 ms of CPU measured against
// 0.75 ms from a 52 MB process) and blocks the agent's thread until the child has exec'd, which on a loaded
// machine waits for the child to get a CPU. While a 50-host mesh formed, every host restarted a probe loop at
// every join: those forks were a twentieth of the agents' CPU. This process is small; it forks for them.
//
// One request a line on stdin, fields separated by tabs (no field holds a tab or a line break):
//   s ID ARG0 ARG1 ...   starts ARG0 (found on PATH) with these arguments; stdin /dev/null
//   k ID SIGNAL          sends the signal (a number) to child ID, if it runs
// Lines on stdout, each "ID KIND REST":
//   ID p PID             child ID started as PID
//   ID o LINE            a line its stdout printed
//   ID O TEXT            a piece of a line without its line break: of a line longer than 16 KiB (the rest
//                        follows), or the last text before the tool closed its output
//   ID e LINE, ID E TEXT the same for its stderr
//   ID x CODE            it exited with CODE (127: could not be started; the reason came as an "e" line)
//   ID s SIGNAL          it was ended by SIGNAL
// A child's exit comes after all its output (not that of a process it started and left running: see drain).
// Each child gets SIGKILL when this process ends (PR_SET_PDEATHSIG), as this process does when the agent ends
// (the agent starts it through setpriv --pdeathsig).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CHILDREN 256
#define MAX_ARGS 512
#define LINE_MAX_BYTES 16384
#define REQUEST_MAX (256 * 1024)

struct stream {
	int fd;
	char buf[LINE_MAX_BYTES];
	size_t len;
};

struct child {
	int used;
	char id[32];
	pid_t pid;
	int reaped, status;
	struct stream out, err;
};

static struct child children[MAX_CHILDREN];

static void say(const char *id, char kind, const char *text, size_t len) {
	printf("%s %c ", id, kind);
	fwrite(text, 1, len, stdout);
	putchar('\n');
}

static void flush_lines(struct child *c, struct stream *s, char kind, int eof) {
	size_t start = 0;
	for (size_t i = 0; i < s->len; i++)
		if (s->buf[i] == '\n') {
			say(c->id, kind, s->buf + start, i - start);
			start = i + 1;
		}
	// What is left without a line break: a piece of a longer line (the buffer full), or the tool's last words.
	if ((start == 0 && s->len == sizeof s->buf) || (eof && start < s->len)) {
		say(c->id, kind - 'a' + 'A', s->buf + start, s->len - start);
		start = s->len;
	}
	memmove(s->buf, s->buf + start, s->len - start);
	s->len -= start;
}

static void close_stream(struct child *c, struct stream *s, char kind) {
	flush_lines(c, s, kind, 1);
	close(s->fd);
	s->fd = -1;
}

// One read (the read ends do not block); 1 when it read something, 0 when there is nothing now or it closed.
static int read_stream(struct child *c, struct stream *s, char kind) {
	ssize_t n = read(s->fd, s->buf + s->len, sizeof s->buf - s->len);
	if (n > 0) {
		s->len += (size_t)n;
		flush_lines(c, s, kind, 0);
		return 1;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 0;
	close_stream(c, s, kind);
	return 0;
}

// Reaped: everything the tool wrote is in its pipes now. What is there is read and the pipes closed, so its exit
// is said even while something it started holds them open (`sh -c 'sleep 30 &'`); that one's words are lost.
static void drain(struct child *c) {
	struct stream *both[2] = {&c->out, &c->err};
	for (int k = 0; k < 2; k++) {
		while (both[k]->fd >= 0 && read_stream(c, both[k], k == 0 ? 'o' : 'e')) {
		}
		if (both[k]->fd >= 0) close_stream(c, both[k], k == 0 ? 'o' : 'e');
	}
}

// A child is done when it was reaped and both its pipes are closed: its last words come before its exit.
static void finish(struct child *c) {
	if (!c->used || !c->reaped || c->out.fd >= 0 || c->err.fd >= 0) return;
	if (WIFSIGNALED(c->status))
		printf("%s s %d\n", c->id, WTERMSIG(c->status));
	else
		printf("%s x %d\n", c->id, WEXITSTATUS(c->status));
	c->used = 0;
}

static struct child *by_id(const char *id) {
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (children[i].used && strcmp(children[i].id, id) == 0) return &children[i];
	return NULL;
}

static void start(char **argv, const char *id, const sigset_t *blocked) {
	struct child *c = NULL;
	for (int i = 0; i < MAX_CHILDREN && !c; i++)
		if (!children[i].used) c = &children[i];
	int out[2], err[2];
	if (!c || pipe2(out, O_CLOEXEC) < 0) {
		printf("%s e %s\n%s x 127\n", id, c ? strerror(errno) : "too many children", id);
		return;
	}
	if (pipe2(err, O_CLOEXEC) < 0) {
		printf("%s e %s\n%s x 127\n", id, strerror(errno), id);
		close(out[0]);
		close(out[1]);
		return;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent) _exit(127);
		sigprocmask(SIG_UNBLOCK, blocked, NULL);
		int null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		execvp(argv[0], argv);
		dprintf(2, "%s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	if (pid < 0) {
		printf("%s e fork: %s\n%s x 127\n", id, strerror(errno), id);
		close(out[0]);
		close(err[0]);
		return;
	}
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	memset(c, 0, sizeof *c);
	c->used = 1;
	snprintf(c->id, sizeof c->id, "%s", id);
	c->pid = pid;
	c->out.fd = out[0];
	c->err.fd = err[0];
	printf("%s p %d\n", id, (int)pid);
}

static void request(char *line, const sigset_t *blocked) {
	char *fields[MAX_ARGS + 3];
	int n = 0;
	for (char *f = strtok(line, "\t"); f && n < MAX_ARGS + 2; f = strtok(NULL, "\t")) fields[n++] = f;
	fields[n] = NULL;
	if (n >= 3 && strcmp(fields[0], "s") == 0 && strlen(fields[1]) < sizeof children[0].id) {
		if (by_id(fields[1]))
			printf("%s e id in use\n%s x 127\n", fields[1], fields[1]);
		else
			start(fields + 2, fields[1], blocked);
	} else if (n == 3 && strcmp(fields[0], "k") == 0) {
		struct child *c = by_id(fields[1]);
		if (c && !c->reaped) kill(c->pid, atoi(fields[2]));
	}
}

int main(void) {
	sigset_t blocked;
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGCHLD);
	sigprocmask(SIG_BLOCK, &blocked, NULL);
	int sfd = signalfd(-1, &blocked, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) return perror("signalfd"), 1;
	static char req[REQUEST_MAX];
	size_t req_len = 0;
	int input_open = 1;
	for (;;) {
		struct pollfd fds[2 + 2 * MAX_CHILDREN];
		struct stream *streams[2 * MAX_CHILDREN];
		struct child *owners[2 * MAX_CHILDREN];
		char kinds[2 * MAX_CHILDREN];
		int n = 0, ns = 0;
		fds[n++] = (struct pollfd){.fd = input_open ? 0 : -1, .events = POLLIN};
		fds[n++] = (struct pollfd){.fd = sfd, .events = POLLIN};
		for (int i = 0; i < MAX_CHILDREN; i++) {
			struct child *c = &children[i];
			if (!c->used) continue;
			struct stream *both[2] = {&c->out, &c->err};
			for (int k = 0; k < 2; k++)
				if (both[k]->fd >= 0) {
					fds[n++] = (struct pollfd){.fd = both[k]->fd, .events = POLLIN};
					streams[ns] = both[k];
					owners[ns] = c;
					kinds[ns++] = k == 0 ? 'o' : 'e';
				}
		}
		// The agent closed its end: children are ended with this process (their pdeathsig).
		if (!input_open) return 0;
		fflush(stdout);
		if (poll(fds, (nfds_t)n, -1) < 0) {
			if (errno == EINTR) continue;
			perror("poll");
			return 1;
		}
		for (int i = 0; i < ns; i++)
			if (fds[2 + i].revents) read_stream(owners[i], streams[i], kinds[i]);
		if (fds[1].revents) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof si) == sizeof si) {
			}
			int status;
			pid_t pid;
			while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
				for (int i = 0; i < MAX_CHILDREN; i++)
					if (children[i].used && children[i].pid == pid && !children[i].reaped) {
						children[i].reaped = 1;
						children[i].status = status;
						drain(&children[i]);
					}
		}
		for (int i = 0; i < MAX_CHILDREN; i++) finish(&children[i]);
		if (fds[0].revents) {
			ssize_t r = read(0, req + req_len, sizeof req - req_len);
			if (r <= 0) {
				if (r < 0 && errno == EINTR) continue;
				input_open = 0;
				continue;
			}
			req_len += (size_t)r;
			char *nl;
			while ((nl = memchr(req, '\n', req_len))) {
				*nl = '\0';
				request(req, &blocked);
				size_t used = (size_t)(nl - req) + 1;
				memmove(req, req + used, req_len - used);
				req_len -= used;
			}
			if (req_len == sizeof req) req_len = 0; // a request too long for a line: dropped
		}
	}
}
