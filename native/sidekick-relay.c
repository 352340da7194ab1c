/*
 * sidekick-relay: port-forward's relay, run as the forwarder's main process in the
 * target's network namespace (docs/ARCHITECTURE.md, "port-forward").
 *
 *   sidekick-relay DIR
 *
 * Listens on the Unix socket DIR/relay.sock (DIR is a private directory of the client, inside
 * a directory bind-mounted into the forwarder: nothing on any network can reach it; DIR, the
 * socket and this binary are removed when it exits), and carries each
 * connection made there to 127.0.0.1:PORT in the target. It exits, resetting every
 * connection, when its stdin ends: the engine closes the attach stream when the client
 * goes away in any way.
 *
 * One connection on the Unix socket carries one TCP connection, in frames both ways:
 *   u8 type, u32 length (big-endian), payload.
 * Client to relay: OPEN (payload: u16 port, first and once), DATA, FIN (the client
 * half-closed), RST (the client reset or went away). Relay to client: CONNECTED, REFUSED,
 * DATA, FIN (the remote half-closed), RST (payload: what happened). A Unix connection that
 * ends without a frame saying how is an abnormal end for both sides: the relay resets the
 * remote, the client resets its own peer. Frames keep the difference between an orderly
 * close and a failure, which a byte stream alone cannot.
 *
 * Single-threaded poll loop, non-blocking sockets, bounded buffers: a side is read only
 * while the other side's buffer has room (backpressure). No child processes: nothing it
 * starts can become a zombie in the target.
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
#include <unistd.h>

enum { F_OPEN = 1, F_DATA = 2, F_FIN = 3, F_RST = 4, F_CONNECTED = 5, F_REFUSED = 6 };
#define HEADER 5
#define CHUNK (256 * 1024)
#define BUFCAP (2 * CHUNK + HEADER * 8 + 512)
#define MAXCONN 1024

struct buf {
    unsigned char *data;
    size_t len; /* bytes held, from data + off */
    size_t off;
};

struct conn {
    int unix_fd;
    int tcp_fd;          /* -1 until OPEN; connecting while !connected */
    int connected;
    struct buf from_client; /* raw frames read from the client, not yet parsed */
    struct buf to_tcp;      /* payload bytes for the remote */
    struct buf to_client;   /* frames for the client */
    int client_fin;         /* client sent FIN: shut down the remote's write side when to_tcp drains */
    int tcp_wr_shut;
    int remote_fin;         /* remote sent EOF: FIN frame queued */
    int closing;            /* flush to_client, then close both */
};

static struct conn *conns[MAXCONN];
static void compact(struct buf *b);
static volatile sig_atomic_t stopping = 0;

static void on_stop(int sig) {
    (void)sig;
    stopping = 1;
}

static void put_frame(struct buf *b, int type, const void *payload, uint32_t len) {
    compact(b);
    unsigned char *p = b->data + b->len;
    p[0] = (unsigned char)type;
    p[1] = (unsigned char)(len >> 24);
    p[2] = (unsigned char)(len >> 16);
    p[3] = (unsigned char)(len >> 8);
    p[4] = (unsigned char)len;
    if (len) memcpy(p + HEADER, payload, len);
    b->len += HEADER + len;
}

static int set_nonblock(int fd) {
    int flags = fcntl(fd, F_GETFL);
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

static void reset_fd(int fd) {
    struct linger l = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close(fd);
}

static void drop(int i, int reset_remote) {
    struct conn *c = conns[i];
    if (c->tcp_fd >= 0) {
        if (reset_remote) reset_fd(c->tcp_fd);
        else close(c->tcp_fd);
    }
    close(c->unix_fd);
    free(c->from_client.data);
    free(c->to_tcp.data);
    free(c->to_client.data);
    free(c);
    conns[i] = NULL;
}

/* The remote failed or the connection cannot go on: tell the client, then close. */
static void fail(struct conn *c, int type, const char *why) {
    if (c->tcp_fd >= 0) {
        reset_fd(c->tcp_fd);
        c->tcp_fd = -1;
    }
    c->to_tcp.len = 0;
    if (c->to_client.len + HEADER + 256 <= BUFCAP) put_frame(&c->to_client, type, why, (uint32_t)strnlen(why, 200));
    c->closing = 1;
}

static void open_remote(struct conn *c, unsigned port) {
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        fail(c, F_RST, strerror(errno));
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->tcp_fd = fd;
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) {
        c->connected = 1;
        put_frame(&c->to_client, F_CONNECTED, NULL, 0);
    } else if (errno != EINPROGRESS) {
        fail(c, errno == ECONNREFUSED ? F_REFUSED : F_RST, strerror(errno));
    }
}

/* Parses the client's frames; moves DATA payloads to to_tcp while it has room. */
static void parse_client(struct conn *c) {
    size_t at = 0;
    while (!c->closing && c->from_client.len - at >= HEADER) {
        unsigned char *p = c->from_client.data + at;
        uint32_t len = ((uint32_t)p[1] << 24) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 8) | p[4];
        if (len > CHUNK) {
            fail(c, F_RST, "frame too large");
            break;
        }
        if (c->from_client.len - at < HEADER + len) break;
        if (p[0] == F_OPEN) {
            if (c->tcp_fd >= 0 || len != 2) {
                fail(c, F_RST, "bad open");
                break;
            }
            open_remote(c, ((unsigned)p[5] << 8) | p[6]);
        } else if (p[0] == F_DATA) {
            if (c->tcp_fd < 0 || c->client_fin) {
                fail(c, F_RST, "data out of order");
                break;
            }
            if (c->to_tcp.len + len > BUFCAP) break; /* wait for room */
            compact(&c->to_tcp);
            memcpy(c->to_tcp.data + c->to_tcp.len, p + HEADER, len);
            c->to_tcp.len += len;
        } else if (p[0] == F_FIN) {
            c->client_fin = 1;
        } else if (p[0] == F_RST) {
            if (c->tcp_fd >= 0) reset_fd(c->tcp_fd);
            c->tcp_fd = -1;
            c->closing = 1;
            c->to_client.len = 0;
        } else {
            fail(c, F_RST, "unknown frame");
            break;
        }
        at += HEADER + len;
    }
    if (at > 0) {
        memmove(c->from_client.data, c->from_client.data + at, c->from_client.len - at);
        c->from_client.len -= at;
    }
}

/* Sends what the buffer holds; what is left stays at an offset (no copy per send). */
static int flush(int fd, struct buf *b) {
    while (b->len > 0) {
        ssize_t n = send(fd, b->data + b->off, b->len, MSG_NOSIGNAL);
        if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
        b->off += (size_t)n;
        b->len -= (size_t)n;
    }
    b->off = 0;
    return 0;
}

/* Moves what is held to the start, so that appends see all the room there is. */
static void compact(struct buf *b) {
    if (b->off == 0) return;
    memmove(b->data, b->data + b->off, b->len);
    b->off = 0;
}

static struct conn *new_conn(int fd) {
    struct conn *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->unix_fd = fd;
    c->tcp_fd = -1;
    c->from_client.data = malloc(BUFCAP);
    c->to_tcp.data = malloc(BUFCAP);
    c->to_client.data = malloc(BUFCAP);
    if (!c->from_client.data || !c->to_tcp.data || !c->to_client.data) {
        free(c->from_client.data);
        free(c->to_tcp.data);
        free(c->to_client.data);
        free(c);
        return NULL;
    }
    return c;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: sidekick-relay DIR\n");
        return 2;
    }
    /* The relay shares the target's PID namespace, and its mounts hold the client's private
       directory: not dumpable, its /proc entries (root, fd, mem) are closed to any process
       of the target that lacks CAP_SYS_PTRACE, root or not. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    signal(SIGPIPE, SIG_IGN);
    /* A stop (the container stopped, the target restarted) resets every connection, as
       the stdin's end does: without a handler the kernel would close them in order. */
    struct sigaction stop = {0};
    stop.sa_handler = on_stop;
    sigaction(SIGTERM, &stop, NULL);
    sigaction(SIGHUP, &stop, NULL);
    sigaction(SIGINT, &stop, NULL);
    struct sockaddr_un addr = {0};
    addr.sun_family = AF_UNIX;
    if (snprintf(addr.sun_path, sizeof addr.sun_path, "%s/relay.sock", argv[1]) >= (int)sizeof addr.sun_path) {
        fprintf(stderr, "sidekick-relay: path too long\n");
        return 2;
    }
    struct stat dir;
    if (stat(argv[1], &dir) != 0) {
        perror("sidekick-relay: stat");
        return 1;
    }
    int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    unlink(addr.sun_path);
    if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(listener, 128) != 0) {
        perror("sidekick-relay: listen");
        return 1;
    }
    /* The directory is the client's and private; the socket is its owner's alone. */
    if (chown(addr.sun_path, dir.st_uid, dir.st_gid) != 0 || chmod(addr.sun_path, 0600) != 0) {
        perror("sidekick-relay: chown");
        return 1;
    }
    set_nonblock(0);
    /* Says it is ready on stdout: the client connects only then. */
    if (write(1, "ready\n", 6) != 6) return 1;

    static struct pollfd fds[2 * MAXCONN + 2];
    static int owner[2 * MAXCONN + 2];
    for (;;) {
        int n = 0;
        fds[n].fd = 0;
        fds[n].events = POLLIN;
        owner[n++] = -1;
        fds[n].fd = listener;
        fds[n].events = POLLIN;
        owner[n++] = -2;
        for (int i = 0; i < MAXCONN; i++) {
            struct conn *c = conns[i];
            if (!c) continue;
            if (c->closing && c->to_client.len == 0) {
                drop(i, 1);
                continue;
            }
            short ue = 0, te = 0;
            if (!c->closing && c->from_client.len < BUFCAP) ue |= POLLIN;
            if (c->to_client.len > 0) ue |= POLLOUT;
            fds[n].fd = c->unix_fd;
            fds[n].events = ue;
            owner[n++] = i;
            if (c->tcp_fd >= 0 && !c->closing) {
                if (!c->connected) te |= POLLOUT;
                else {
                    if (!c->remote_fin && c->to_client.len + 2 * HEADER + 256 + CHUNK <= BUFCAP) te |= POLLIN;
                    if (c->to_tcp.len > 0) te |= POLLOUT;
                }
                fds[n].fd = c->tcp_fd;
                fds[n].events = te;
                owner[n++] = MAXCONN + i;
            }
        }
        if (poll(fds, (nfds_t)n, -1) < 0 && errno != EINTR) return 1;
        for (int k = 0; k < n; k++) {
            if (!fds[k].revents && !(stopping && k == 0)) continue;
            if (owner[k] == -1) {
                char sink[256];
                ssize_t r = stopping ? 0 : read(0, sink, sizeof sink);
                if (r == 0 || (r < 0 && errno != EAGAIN)) {
                    for (int i = 0; i < MAXCONN; i++)
                        if (conns[i]) drop(i, 1);
                    /* Its directory goes with it, so that a client killed with -9 leaves
                       nothing behind on its machine. */
                    char binary[sizeof addr.sun_path + 32];
                    snprintf(binary, sizeof binary, "%s/sidekick-relay", argv[1]);
                    unlink(addr.sun_path);
                    unlink(binary);
                    rmdir(argv[1]);
                    return 0;
                }
                continue;
            }
            if (owner[k] == -2) {
                for (;;) {
                    int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (fd < 0) break;
                    int slot = -1;
                    for (int i = 0; i < MAXCONN; i++)
                        if (!conns[i]) { slot = i; break; }
                    struct conn *c = slot >= 0 ? new_conn(fd) : NULL;
                    if (!c) { close(fd); continue; }
                    conns[slot] = c;
                }
                continue;
            }
            int i = owner[k] % MAXCONN;
            struct conn *c = conns[i];
            if (!c) continue;
            if (owner[k] < MAXCONN) {
                /* The Unix side. */
                if (fds[k].revents & POLLOUT) {
                    if (flush(c->unix_fd, &c->to_client) < 0) { drop(i, 1); continue; }
                }
                /* A hang-up is reported whether asked for or not: read only into room there is
                   (a read of 0 bytes would look like the end); it is seen again later. */
                if ((fds[k].revents & (POLLIN | POLLHUP | POLLERR)) && c->from_client.len < BUFCAP && !c->closing) {
                    ssize_t r = recv(c->unix_fd, c->from_client.data + c->from_client.len, BUFCAP - c->from_client.len, 0);
                    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
                        /* The client went away without saying how: the remote is reset. */
                        drop(i, 1);
                        continue;
                    }
                    if (r > 0) c->from_client.len += (size_t)r;
                }
                parse_client(c);
            } else if (c->tcp_fd >= 0) {
                /* The remote side. */
                if (!c->connected && (fds[k].revents & (POLLOUT | POLLERR | POLLHUP))) {
                    int err = 0;
                    socklen_t len = sizeof err;
                    getsockopt(c->tcp_fd, SOL_SOCKET, SO_ERROR, &err, &len);
                    if (err) { fail(c, err == ECONNREFUSED ? F_REFUSED : F_RST, strerror(err)); continue; }
                    c->connected = 1;
                    put_frame(&c->to_client, F_CONNECTED, NULL, 0);
                    continue;
                }
                if (fds[k].revents & POLLOUT) {
                    if (flush(c->tcp_fd, &c->to_tcp) < 0) { fail(c, F_RST, strerror(errno)); continue; }
                }
                /* Room for a DATA frame and the FIN or RST frame after it, or no read now. */
                size_t room = BUFCAP - c->to_client.len;
                if ((fds[k].revents & (POLLIN | POLLHUP | POLLERR)) && !c->remote_fin && room >= 2 * HEADER + 256 + 1) {
                    size_t want = room - 2 * HEADER - 256;
                    if (want > CHUNK) want = CHUNK;
                    compact(&c->to_client);
                    unsigned char *frame = c->to_client.data + c->to_client.len;
                    ssize_t r = recv(c->tcp_fd, frame + HEADER, want, 0);
                    if (r > 0) {
                        put_frame(&c->to_client, F_DATA, NULL, 0);
                        uint32_t len = (uint32_t)r;
                        frame[1] = (unsigned char)(len >> 24);
                        frame[2] = (unsigned char)(len >> 16);
                        frame[3] = (unsigned char)(len >> 8);
                        frame[4] = (unsigned char)len;
                        c->to_client.len += len;
                    }
                    else if (r == 0) {
                        c->remote_fin = 1;
                        put_frame(&c->to_client, F_FIN, NULL, 0);
                    } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
                        fail(c, F_RST, strerror(errno));
                        continue;
                    }
                }
            }
            parse_client(c);
            if (c->tcp_fd >= 0 && c->client_fin && c->to_tcp.len == 0 && !c->tcp_wr_shut && c->connected) {
                shutdown(c->tcp_fd, SHUT_WR);
                c->tcp_wr_shut = 1;
            }
            if (c->remote_fin && c->tcp_wr_shut && c->to_client.len == 0 && !c->closing) {
                /* Both directions ended in order. */
                close(c->tcp_fd);
                c->tcp_fd = -1;
                c->closing = 1;
            }
            if (c->to_client.len > 0 && flush(c->unix_fd, &c->to_client) < 0) drop(i, 1);
        }
    }
}
