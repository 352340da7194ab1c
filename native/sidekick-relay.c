/*
 * sidekick-relay: port-forward's relay (docs/ARCHITECTURE.md, "port-forward"). One static
 * binary, two modes.
 *
 *   sidekick-relay hold HOST PORT[/udp] [HOST PORT[/udp] ...]
 *
 * On this machine, a child of the CLI: binds and listens on each HOST:PORT (PORT 0: a free
 * one; PORT/udp: a datagram socket, bound only) and says, one line each, "listening PORT" or
 * "error CODE message" (then exits 1). It
 * never accepts. Each line "hand PATH" on its stdin sends every listening socket, in order,
 * to the relay listening on the Unix socket PATH (SCM_RIGHTS), and answers "handed" or
 * "not-handed why". It keeps them, so that they outlive a relay (a target restart gets a new
 * one; connections made meanwhile wait in the backlog). "hand PATH R1 R2 ..." names the
 * remote port of each, in order. It exits when its stdin ends or its parent dies, whatever
 * way the CLI ends.
 *
 *   sidekick-relay DIR
 *
 * The forwarder's main process, in the target's network namespace: listens on the Unix
 * socket DIR/relay.sock (DIR is a private directory of the client, inside a directory
 * bind-mounted into the forwarder: nothing on any network can reach it; DIR, the socket and
 * this binary are removed when it exits) for handovers: "ports P1 P2 ...\n" with one
 * listening socket per port. It accepts on those sockets itself (a socket of this machine's
 * network namespace works from any other) and carries each connection to 127.0.0.1:Pn in
 * the target with splice(2) through a pipe per direction: the bytes never leave the kernel.
 * It exits, resetting every connection, when its stdin ends: the engine closes the attach
 * stream when the client goes away in any way.
 *
 * A datagram socket is read for datagrams instead: each local peer gets a flow, a UDP socket
 * connected to 127.0.0.1:Pn in the target, whose answers go back to that peer from the
 * listening socket; a flow ends after a minute without a datagram either way. Nothing in the
 * target answering (ICMP port unreachable) is said once per flow: "refused Pn/udp why".
 *
 * Each end is passed on as what it was: a FIN (read returned 0) becomes shutdown(SHUT_WR)
 * of the other side once every byte is written; a reset or an error on one side resets the
 * other (SO_LINGER 0). A local connection holds SO_LINGER 0 from its accept until it ended
 * in order, so that the relay killed (SIGKILL with the target's PID namespace) resets it
 * rather than closing it as if the answer were complete. What a person should know is one
 * line on stdout, never in the data path: "refused PORT why", "failed PORT why".
 *
 * Single-threaded poll loop, non-blocking sockets, bounded pipes (backpressure: a side is
 * read only while its pipe has room). No child processes: nothing it starts can become a
 * zombie in the target.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAXCONN 1024
#define MAXLISTEN 64
/* Pipes are charged to the user at their full size (fs.pipe-user-pages-soft, 64 MiB by
   default, shared with every process of that user): the first connections get big ones
   (fewer wake-ups per byte), the rest smaller ones. */
#define PIPE_SIZE_FEW (1024 * 1024)
#define PIPE_SIZE (256 * 1024)
#define FEW_CONNS 8
#define COPY_SIZE (256 * 1024)

/* One direction: bytes read from `from` wait in a pipe (or, where splice cannot be used, a
   buffer) until `to` takes them. */
struct dir {
    int from, to;
    int pipe[2];          /* -1 in copy mode */
    unsigned char *buf;   /* copy mode only */
    size_t off;
    size_t held, cap;
    int eof;              /* `from` sent its FIN */
    int shut;             /* passed on: `to` was shut down for writing */
};

struct conn {
    int local, remote;
    unsigned port;
    int connected;
    /* A side that hung up is polled only while there is something to do on it: a hang-up
       is reported whether asked for or not, and would spin the loop while the other side
       drains. */
    int local_hup, remote_hup;
    struct dir up, down; /* local -> remote, remote -> local */
};

struct listener {
    int fd;
    unsigned port;
    int udp; /* a datagram socket: its peers are flows, not connections */
};

/* UDP: one flow per local peer (address and port) of a listener, with a socket of its own
   connected to 127.0.0.1:PORT in the target, so that the answers come back to that peer.
   A flow idle for FLOW_IDLE_SECONDS ends (UDP has no end of its own); when all are taken,
   the longest idle one makes room. */
#define MAXFLOWS 256
#define FLOW_IDLE_SECONDS 60
#define DATAGRAM_MAX 65536

struct flow {
    int fd;
    int listener;
    struct sockaddr_storage peer;
    socklen_t peer_len;
    time_t last;
    int refused_said; /* the CLI is told once per flow that nothing answers */
};

static struct conn *conns[MAXCONN];
static int nconns;
static struct listener listeners[MAXLISTEN];
static int nlisteners;
static struct flow *flows[MAXFLOWS];
static unsigned char datagram[DATAGRAM_MAX];
static volatile sig_atomic_t stopping = 0;

static void on_stop(int sig) {
    (void)sig;
    stopping = 1;
}

static void set_nonblock(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

static void set_linger0(int fd, int on) {
    struct linger l = {on, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

/* A line for the CLI; dropped rather than wait when the attach stream is slow. */
static void event(const char *what, unsigned port, const char *protocol_suffix, const char *why) {
    char line[256];
    int n = snprintf(line, sizeof line, "%s %u%s %s\n", what, port, protocol_suffix, why);
    if (n > 0) {
        ssize_t w = write(1, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
        (void)w;
    }
}

/* Copy mode: splice is not there (or not for these files); large reads instead. */
static int to_copy_mode(struct dir *d) {
    if (d->pipe[0] >= 0) {
        close(d->pipe[0]);
        close(d->pipe[1]);
        d->pipe[0] = d->pipe[1] = -1;
    }
    d->buf = malloc(COPY_SIZE);
    d->cap = d->buf ? COPY_SIZE : 0;
    d->off = 0;
    return d->buf ? 0 : -1;
}

static int dir_init(struct dir *d, int from, int to) {
    d->from = from;
    d->to = to;
    d->buf = NULL;
    d->off = d->held = d->eof = d->shut = 0;
    if (pipe2(d->pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        d->pipe[0] = d->pipe[1] = -1;
        return to_copy_mode(d);
    }
    /* A bigger pipe moves more per call; the default (64 KiB) where that is not allowed. */
    if (nconns > FEW_CONNS || fcntl(d->pipe[1], F_SETPIPE_SZ, PIPE_SIZE_FEW) < 0) fcntl(d->pipe[1], F_SETPIPE_SZ, PIPE_SIZE);
    int size = fcntl(d->pipe[1], F_GETPIPE_SZ);
    d->cap = size > 0 ? (size_t)size : 65536;
    return 0;
}

static void dir_free(struct dir *d) {
    if (d->pipe[0] >= 0) close(d->pipe[0]);
    if (d->pipe[1] >= 0) close(d->pipe[1]);
    free(d->buf);
}

enum { OK = 0, FROM_FAILED = 1, TO_FAILED = 2 };

/* Moves what can be moved now without blocking; says which side failed, with errno. */
static int pump(struct dir *d) {
    for (int round = 0; round < 8; round++) {
        int moved = 0;
        if (!d->eof && d->held < d->cap) {
            ssize_t n;
            if (d->buf) {
                if (d->off > 0) {
                    memmove(d->buf, d->buf + d->off, d->held);
                    d->off = 0;
                }
                size_t end = d->held;
                n = recv(d->from, d->buf + end, d->cap - end, 0);
            } else {
                n = splice(d->from, NULL, d->pipe[1], NULL, d->cap - d->held, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
                if (n < 0 && (errno == EINVAL || errno == ENOSYS) && d->held == 0) {
                    if (to_copy_mode(d) != 0) return FROM_FAILED;
                    continue;
                }
            }
            if (n > 0) {
                d->held += (size_t)n;
                moved = 1;
            } else if (n == 0) {
                d->eof = 1;
            } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                return FROM_FAILED;
            }
        }
        if (d->held > 0) {
            ssize_t n = d->buf ? send(d->to, d->buf + d->off, d->held, MSG_NOSIGNAL)
                               : splice(d->pipe[0], NULL, d->to, NULL, d->held, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (n > 0) {
                d->held -= (size_t)n;
                d->off += (size_t)n;
                moved = 1;
            } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                return TO_FAILED;
            }
        }
        if (d->eof && d->held == 0 && !d->shut) {
            shutdown(d->to, SHUT_WR);
            d->shut = 1;
        }
        if (!moved) break;
    }
    return OK;
}

static void drop(int i, int reset_remote) {
    struct conn *c = conns[i];
    /* The local socket holds SO_LINGER 0 unless it ended in order: close() resets it. */
    close(c->local);
    if (c->remote >= 0) {
        if (reset_remote) set_linger0(c->remote, 1);
        close(c->remote);
    }
    if (c->connected) {
        dir_free(&c->up);
        dir_free(&c->down);
    }
    free(c);
    conns[i] = NULL;
    nconns--;
}

/* Both directions ended in order. */
static void finish(int i) {
    struct conn *c = conns[i];
    set_linger0(c->local, 0);
    drop(i, 0);
}

/* The remote failed: the local side is reset and the CLI told. */
static void remote_failed(int i, int err) {
    struct conn *c = conns[i];
    event(err == ECONNREFUSED ? "refused" : "failed", c->port, "", strerror(err));
    drop(i, 1);
}

static int socket_error(int fd) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
    return err;
}

static void connected(int i) {
    struct conn *c = conns[i];
    c->connected = 1;
    c->up.pipe[0] = c->up.pipe[1] = c->down.pipe[0] = c->down.pipe[1] = -1;
    if (dir_init(&c->up, c->local, c->remote) != 0 || dir_init(&c->down, c->remote, c->local) != 0) {
        drop(i, 1);
        return;
    }
}

static void accept_on(struct listener *l) {
    while (nconns < MAXCONN) {
        int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        set_linger0(fd, 1);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct conn *c = calloc(1, sizeof *c);
        int slot = -1;
        for (int i = 0; i < MAXCONN && c; i++)
            if (!conns[i]) { slot = i; break; }
        if (!c || slot < 0) {
            free(c);
            close(fd);
            continue;
        }
        c->local = fd;
        c->port = l->port;
        conns[slot] = c;
        nconns++;
        struct sockaddr_in addr = {0};
        addr.sin_family = AF_INET;
        addr.sin_port = htons((uint16_t)l->port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        c->remote = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (c->remote < 0) {
            remote_failed(slot, errno);
            continue;
        }
        setsockopt(c->remote, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(c->remote, (struct sockaddr *)&addr, sizeof addr) == 0) connected(slot);
        else if (errno != EINPROGRESS) remote_failed(slot, errno);
    }
}

static time_t now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static void flow_close(int f) {
    close(flows[f]->fd);
    free(flows[f]);
    flows[f] = NULL;
}

static void flow_refused(struct flow *fl, int err) {
    if (fl->refused_said) return;
    fl->refused_said = 1;
    event("refused", listeners[fl->listener].port, "/udp", strerror(err));
}

/* The flow of this peer on listener l, made (connected into the target) when it is new. */
static struct flow *flow_for(int l, const struct sockaddr_storage *peer, socklen_t peer_len) {
    int free_slot = -1, oldest = -1;
    for (int f = 0; f < MAXFLOWS; f++) {
        struct flow *fl = flows[f];
        if (!fl) {
            if (free_slot < 0) free_slot = f;
            continue;
        }
        if (fl->listener == l && fl->peer_len == peer_len && memcmp(&fl->peer, peer, peer_len) == 0) return fl;
        if (oldest < 0 || fl->last < flows[oldest]->last) oldest = f;
    }
    if (free_slot < 0) {
        flow_close(oldest);
        free_slot = oldest;
    }
    struct flow *fl = calloc(1, sizeof *fl);
    if (!fl) return NULL;
    fl->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)listeners[l].port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fl->fd < 0 || connect(fl->fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        if (fl->fd >= 0) close(fl->fd);
        free(fl);
        return NULL;
    }
    fl->listener = l;
    memcpy(&fl->peer, peer, peer_len);
    fl->peer_len = peer_len;
    flows[free_slot] = fl;
    return fl;
}

/* Datagrams from local peers, each sent on into the target through its peer's flow. */
static void udp_from_local(int l) {
    for (int round = 0; round < 64; round++) {
        struct sockaddr_storage peer;
        socklen_t peer_len = sizeof peer;
        ssize_t n = recvfrom(listeners[l].fd, datagram, sizeof datagram, MSG_DONTWAIT, (struct sockaddr *)&peer, &peer_len);
        if (n < 0) return;
        struct flow *fl = flow_for(l, &peer, peer_len);
        if (!fl) continue;
        fl->last = now_seconds();
        if (send(fl->fd, datagram, (size_t)n, MSG_DONTWAIT) < 0 && errno == ECONNREFUSED) flow_refused(fl, errno);
    }
}

/* Answers from the target, each sent back to the flow's peer from the listening socket. */
static void udp_from_target(int f) {
    struct flow *fl = flows[f];
    for (int round = 0; round < 64; round++) {
        ssize_t n = recv(fl->fd, datagram, sizeof datagram, MSG_DONTWAIT);
        if (n < 0) {
            /* An ICMP "port unreachable" for an earlier datagram: nothing listens there. */
            if (errno == ECONNREFUSED) flow_refused(fl, errno);
            return;
        }
        fl->last = now_seconds();
        fl->refused_said = 0;
        ssize_t w = sendto(listeners[fl->listener].fd, datagram, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&fl->peer, fl->peer_len);
        (void)w;
    }
}

/* Ends idle flows; the milliseconds until the next one would be idle, -1 when none. */
static int expire_flows(void) {
    time_t now = now_seconds();
    int wait = -1;
    for (int f = 0; f < MAXFLOWS; f++) {
        if (!flows[f]) continue;
        time_t left = flows[f]->last + FLOW_IDLE_SECONDS - now;
        if (left <= 0) {
            flow_close(f);
            continue;
        }
        if (wait < 0 || left * 1000 < wait) wait = (int)(left * 1000);
    }
    return wait;
}

/* A handover from the holder: "ports P1 P2 ...\n" and one listening socket per port. */
static void take_handover(int unix_listener) {
    int fd = accept4(unix_listener, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) return;
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char text[1024] = {0};
    union {
        struct cmsghdr align;
        char space[CMSG_SPACE(sizeof(int) * MAXLISTEN)];
    } control;
    struct iovec iov = {text, sizeof text - 1};
    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.space;
    msg.msg_controllen = sizeof control.space;
    ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    int fds[MAXLISTEN];
    int nfds = 0;
    for (struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL; cm; cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
        int count = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int k = 0; k < count && nfds < MAXLISTEN; k++) memcpy(&fds[nfds++], CMSG_DATA(cm) + k * sizeof(int), sizeof(int));
    }
    int taken = 0;
    const char *answer = "refused\n";
    if (n > 0 && strncmp(text, "ports", 5) == 0 && !(msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC))) {
        char *p = text + 5;
        int k = 0;
        for (; k < nfds && nlisteners < MAXLISTEN; k++) {
            char *end;
            unsigned long port = strtoul(p, &end, 10);
            if (end == p || port == 0 || port > 65535) break;
            p = end;
            int type = 0;
            socklen_t len = sizeof type;
            if (getsockopt(fds[k], SOL_SOCKET, SO_TYPE, &type, &len) != 0 || (type != SOCK_STREAM && type != SOCK_DGRAM)) break;
            set_nonblock(fds[k]);
            listeners[nlisteners].fd = fds[k];
            listeners[nlisteners].port = (unsigned)port;
            listeners[nlisteners].udp = type == SOCK_DGRAM;
            nlisteners++;
        }
        taken = k;
        if (taken == nfds && taken > 0) answer = "ok\n";
    }
    for (int k = taken; k < nfds; k++) close(fds[k]);
    ssize_t w = send(fd, answer, strlen(answer), MSG_NOSIGNAL);
    (void)w;
    close(fd);
}

static void cleanup_and_exit(const char *dir, const char *socket_path) {
    for (int i = 0; i < MAXCONN; i++)
        if (conns[i]) drop(i, 1);
    for (int f = 0; f < MAXFLOWS; f++)
        if (flows[f]) flow_close(f);
    /* Its directory goes with it, so that a client killed with -9 leaves nothing behind on
       its machine. */
    char binary[512];
    snprintf(binary, sizeof binary, "%s/sidekick-relay", dir);
    unlink(socket_path);
    unlink(binary);
    rmdir(dir);
    exit(0);
}

static int relay(const char *dir) {
    /* The relay shares the target's PID namespace, and its mounts hold the client's private
       directory: not dumpable, its /proc entries (root, fd, mem) are closed to any process
       of the target that lacks CAP_SYS_PTRACE, root or not. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    /* A stop (the container stopped, the target restarted) resets every connection, as
       the stdin's end does. */
    struct sigaction stop = {0};
    stop.sa_handler = on_stop;
    sigaction(SIGTERM, &stop, NULL);
    sigaction(SIGHUP, &stop, NULL);
    sigaction(SIGINT, &stop, NULL);
    struct sockaddr_un addr = {0};
    addr.sun_family = AF_UNIX;
    if (snprintf(addr.sun_path, sizeof addr.sun_path, "%s/relay.sock", dir) >= (int)sizeof addr.sun_path) {
        fprintf(stderr, "sidekick-relay: path too long\n");
        return 2;
    }
    struct stat seen;
    if (stat(dir, &seen) != 0) {
        perror("sidekick-relay: stat");
        return 1;
    }
    int unix_listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    unlink(addr.sun_path);
    if (unix_listener < 0 || bind(unix_listener, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(unix_listener, 8) != 0) {
        perror("sidekick-relay: listen");
        return 1;
    }
    /* The directory is the client's and private; the socket is its owner's alone. */
    if (chown(addr.sun_path, seen.st_uid, seen.st_gid) != 0 || chmod(addr.sun_path, 0600) != 0) {
        perror("sidekick-relay: chown");
        return 1;
    }
    set_nonblock(0);
    /* Says it is ready on stdout: the holder hands the listening sockets over only then. */
    if (write(1, "ready\n", 6) != 6) return 1;
    set_nonblock(1);

    static struct pollfd fds[2 * MAXCONN + MAXFLOWS + MAXLISTEN + 2];
    static int owner[2 * MAXCONN + MAXFLOWS + MAXLISTEN + 2];
    enum { STDIN = -1, UNIX = -2, LISTENER = -3, FLOW = 2 * MAXCONN };
    for (;;) {
        if (stopping) cleanup_and_exit(dir, addr.sun_path);
        int n = 0;
        fds[n] = (struct pollfd){0, POLLIN, 0};
        owner[n++] = STDIN;
        fds[n] = (struct pollfd){unix_listener, POLLIN, 0};
        owner[n++] = UNIX;
        for (int l = 0; l < nlisteners; l++) {
            if (!listeners[l].udp && nconns >= MAXCONN) continue;
            fds[n] = (struct pollfd){listeners[l].fd, POLLIN, 0};
            owner[n++] = LISTENER - l;
        }
        for (int f = 0; f < MAXFLOWS; f++) {
            if (!flows[f]) continue;
            fds[n] = (struct pollfd){flows[f]->fd, POLLIN, 0};
            owner[n++] = FLOW + f;
        }
        int timeout = expire_flows();
        for (int i = 0; i < MAXCONN; i++) {
            struct conn *c = conns[i];
            if (!c) continue;
            short le = 0, re = 0;
            if (!c->connected) re = POLLOUT;
            else {
                if (!c->up.eof && c->up.held < c->up.cap) le |= POLLIN;
                if (c->up.held > 0) re |= POLLOUT;
                if (!c->down.eof && c->down.held < c->down.cap) re |= POLLIN;
                if (c->down.held > 0) le |= POLLOUT;
            }
            /* Errors and hang-ups are reported with no events asked for: a reset is seen
               even on a side nothing is waited for. */
            fds[n] = (struct pollfd){c->local_hup && !le ? -1 : c->local, le, 0};
            owner[n++] = i;
            fds[n] = (struct pollfd){c->remote_hup && !re ? -1 : c->remote, re, 0};
            owner[n++] = MAXCONN + i;
        }
        if (poll(fds, (nfds_t)n, timeout) < 0 && errno != EINTR) return 1;
        for (int k = 0; k < n; k++) {
            if (!fds[k].revents) continue;
            if (owner[k] == STDIN) {
                char sink[256];
                ssize_t r = read(0, sink, sizeof sink);
                if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) cleanup_and_exit(dir, addr.sun_path);
                continue;
            }
            if (owner[k] == UNIX) {
                take_handover(unix_listener);
                continue;
            }
            if (owner[k] <= LISTENER) {
                int l = LISTENER - owner[k];
                if (listeners[l].udp) udp_from_local(l);
                else accept_on(&listeners[l]);
                continue;
            }
            if (owner[k] >= FLOW) {
                if (flows[owner[k] - FLOW]) udp_from_target(owner[k] - FLOW);
                continue;
            }
            int i = owner[k] % MAXCONN;
            struct conn *c = conns[i];
            if (!c) continue;
            int on_local = owner[k] < MAXCONN;
            if (!c->connected) {
                if (on_local) {
                    /* The client gave up before the remote answered. */
                    if (fds[k].revents & (POLLERR | POLLHUP)) drop(i, 1);
                    continue;
                }
                int err = socket_error(c->remote);
                if (err) remote_failed(i, err);
                else connected(i);
                continue;
            }
            if (fds[k].revents & POLLERR) {
                int err = socket_error(on_local ? c->local : c->remote);
                if (err) {
                    if (on_local) drop(i, 1);
                    else remote_failed(i, err);
                    continue;
                }
            }
            int up = pump(&c->up);
            if (up != OK) {
                int err = errno;
                if (up == FROM_FAILED) drop(i, 1);
                else remote_failed(i, err);
                continue;
            }
            int down = pump(&c->down);
            if (down != OK) {
                int err = errno;
                if (down == FROM_FAILED) remote_failed(i, err);
                else drop(i, 1);
                continue;
            }
            if (c->up.shut && c->down.shut) {
                finish(i);
                continue;
            }
            /* A hang-up on a side still to be written to: it was reset, and the error
               already read. */
            if (fds[k].revents & POLLHUP) {
                if (on_local && !c->down.shut) drop(i, 1);
                else if (!on_local && !c->up.shut) remote_failed(i, ECONNRESET);
                else if (on_local) c->local_hup = 1;
                else c->remote_hup = 1;
            }
        }
    }
}

/* ---- hold: the listening sockets, on this machine ---- */

static const char *errno_code(int err) {
    switch (err) {
    case EADDRINUSE: return "EADDRINUSE";
    case EACCES: return "EACCES";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EINVAL: return "EINVAL";
    default: return "EOTHER";
    }
}

static int listen_on(const char *host, const char *port_text, int udp, unsigned *port) {
    union {
        struct sockaddr sa;
        struct sockaddr_in in4;
        struct sockaddr_in6 in6;
    } addr;
    memset(&addr, 0, sizeof addr);
    char *end;
    unsigned long wanted = strtoul(port_text, &end, 10);
    if (*port_text == '\0' || *end != '\0' || wanted > 65535) {
        errno = EINVAL;
        return -1;
    }
    socklen_t len;
    if (inet_pton(AF_INET, host, &addr.in4.sin_addr) == 1) {
        addr.in4.sin_family = AF_INET;
        addr.in4.sin_port = htons((uint16_t)wanted);
        len = sizeof addr.in4;
    } else if (inet_pton(AF_INET6, host, &addr.in6.sin6_addr) == 1) {
        addr.in6.sin6_family = AF_INET6;
        addr.in6.sin6_port = htons((uint16_t)wanted);
        len = sizeof addr.in6;
    } else {
        errno = EINVAL;
        return -1;
    }
    int fd = socket(addr.sa.sa_family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    /* As Node's listen does: a port in TIME_WAIT from an earlier forward is taken again. */
    int one = 1;
    if (!udp) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, &addr.sa, len) != 0 || (!udp && listen(fd, 511) != 0)) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    len = sizeof addr;
    getsockname(fd, &addr.sa, &len);
    *port = ntohs(addr.sa.sa_family == AF_INET ? addr.in4.sin_port : addr.in6.sin6_port);
    return fd;
}

static const char *hand(const char *path, const int *fds, const unsigned *ports, int count) {
    static char why[160];
    struct sockaddr_un addr = {0};
    addr.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof addr.sun_path) return "path too long";
    strcpy(addr.sun_path, path);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof addr) != 0) {
        snprintf(why, sizeof why, "connect: %s", strerror(errno));
        if (s >= 0) close(s);
        return why;
    }
    char text[1024];
    int at = snprintf(text, sizeof text, "ports");
    for (int k = 0; k < count; k++) at += snprintf(text + at, sizeof text - (size_t)at, " %u", ports[k]);
    at += snprintf(text + at, sizeof text - (size_t)at, "\n");
    union {
        struct cmsghdr align;
        char space[CMSG_SPACE(sizeof(int) * MAXLISTEN)];
    } control;
    memset(&control, 0, sizeof control);
    struct iovec iov = {text, (size_t)at};
    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.space;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)count);
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)count);
    memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)count);
    struct timeval tv = {5, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (sendmsg(s, &msg, MSG_NOSIGNAL) != at) {
        snprintf(why, sizeof why, "send: %s", strerror(errno));
        close(s);
        return why;
    }
    char answer[16] = {0};
    ssize_t r = recv(s, answer, sizeof answer - 1, 0);
    close(s);
    if (r <= 0) return "no answer from the relay";
    if (strcmp(answer, "ok\n") != 0) return "the relay refused the sockets";
    return NULL;
}

static int hold(int argc, char **argv) {
    /* Ends with its parent, whatever way that ends (kill -9 included), besides stdin's end. */
    pid_t parent = getppid();
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (getppid() != parent) return 0;
    /* Ctrl-C and a hang-up are the CLI's to handle; its end (stdin) ends this one. */
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    int count = (argc - 2) / 2;
    if (argc < 4 || (argc - 2) % 2 != 0 || count > MAXLISTEN) {
        fprintf(stderr, "usage: sidekick-relay hold HOST PORT[/udp] [HOST PORT[/udp] ...]\n");
        return 2;
    }
    int fds[MAXLISTEN];
    unsigned ports[MAXLISTEN];
    /* The remote ports are the relay's to know: the holder sends the local ones' order. */
    unsigned remote[MAXLISTEN];
    for (int k = 0; k < count; k++) {
        /* PORT/udp: a datagram socket, bound and never connected. */
        char port_text[16];
        const char *given = argv[3 + 2 * k];
        size_t length = strlen(given);
        int udp = length > 4 && strcmp(given + length - 4, "/udp") == 0;
        snprintf(port_text, sizeof port_text, "%.*s", (int)(udp ? length - 4 : length), given);
        fds[k] = listen_on(argv[2 + 2 * k], port_text, udp, &ports[k]);
        if (fds[k] < 0) {
            printf("error %s %s\n", errno_code(errno), strerror(errno));
            return 1;
        }
        printf("listening %u\n", ports[k]);
    }
    fflush(stdout);
    char line[1200];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "hand ", 5) != 0) continue;
        /* "hand PATH R1 R2 ...": the remote port of each listening socket, in order. */
        char *path = line + 5;
        char *space = strchr(path, ' ');
        int ok = space != NULL;
        if (ok) {
            *space = '\0';
            char *p = space + 1;
            for (int k = 0; k < count && ok; k++) {
                char *end;
                unsigned long port = strtoul(p, &end, 10);
                ok = end != p && port > 0 && port <= 65535;
                remote[k] = (unsigned)port;
                p = end;
            }
        }
        const char *failed = ok ? hand(path, fds, remote, count) : "bad request";
        if (failed) printf("not-handed %s\n", failed);
        else printf("handed\n");
        fflush(stdout);
    }
    return 0;
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    if (argc >= 2 && strcmp(argv[1], "hold") == 0) return hold(argc, argv);
    if (argc != 2) {
        fprintf(stderr, "usage: sidekick-relay DIR | sidekick-relay hold HOST PORT [HOST PORT ...]\n");
        return 2;
    }
    return relay(argv[1]);
}
