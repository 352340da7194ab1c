/*
 * A tiny HTTP server standing in for a production app in a FROM-scratch or
 * distroless image: no shell, no libc tools, just one binary as PID 1.
 *
 *   PORT           (default 8080) on 0.0.0.0  -> "hello from the demo app\n" (BODY)
 *   LOOPBACK_PORT  (default 9090) on 127.0.0.1 -> "loopback only\n"
 *
 * The loopback listener is only reachable from inside the network namespace,
 * which is what a sidekick joining that namespace (or port-forward) must prove.
 *
 * Single-threaded poll() loop. It installs a SIGTERM handler because PID 1 in a
 * container ignores signals that have no handler: without it `docker stop`
 * would wait the full grace period and then SIGKILL. The handler is installed
 * without SA_RESTART so a blocked poll()/read() returns EINTR at once.
 *
 * Build: gcc -static -O2 -o server scratch-server.c
 *        (-DBODY='"..."' changes the main listener's body)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#ifndef BODY
#define BODY "hello from the demo app\n"
#endif
#define LOOPBACK_BODY "loopback only\n"

static volatile sig_atomic_t stopping = 0;

static void on_stop(int sig) {
    (void)sig;
    stopping = 1;
}

static int port_from_env(const char *name, int fallback) {
    const char *v = getenv(name);
    if (v == NULL || *v == '\0') return fallback;
    char *end = NULL;
    long p = strtol(v, &end, 10);
    if (*end != '\0' || p < 1 || p > 65535) {
        fprintf(stderr, "invalid %s=%s\n", name, v);
        exit(2);
    }
    return (int)p;
}

static int listen_on(const char *addr, int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("socket");
        exit(1);
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    inet_pton(AF_INET, addr, &sa.sin_addr);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 64) < 0) {
        fprintf(stderr, "listen %s:%d: %s\n", addr, port, strerror(errno));
        exit(1);
    }
    return fd;
}

/* Read until the end of the request head, EOF, a full buffer or a timeout:
 * a client that never sends must not wedge the single-threaded loop. */
static void drain_request(int fd) {
    struct timeval tv = {.tv_sec = 2, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[4096];
    size_t used = 0;
    while (used < sizeof buf - 1 && !stopping) {
        ssize_t n = read(fd, buf + used, sizeof buf - 1 - used);
        if (n <= 0) return;
        used += (size_t)n;
        buf[used] = '\0';
        if (strstr(buf, "\r\n\r\n") != NULL || strstr(buf, "\n\n") != NULL) return;
    }
}

static void respond(int fd, const char *body) {
    char out[512];
    int len = snprintf(out, sizeof out,
                       "HTTP/1.0 200 OK\r\n"
                       "Content-Type: text/plain\r\n"
                       "Content-Length: %zu\r\n"
                       "Connection: close\r\n"
                       "\r\n%s",
                       strlen(body), body);
    /* MSG_NOSIGNAL: a client that hung up must not kill PID 1 with SIGPIPE. */
    (void)send(fd, out, (size_t)len, MSG_NOSIGNAL);
}

static void serve_one(int listener, const char *body) {
    int c = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) return;
    drain_request(c);
    respond(c, body);
    close(c);
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART on purpose, see header */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int port = port_from_env("PORT", 8080);
    int lport = port_from_env("LOOPBACK_PORT", 9090);
    struct pollfd fds[2] = {
        {.fd = listen_on("0.0.0.0", port), .events = POLLIN},
        {.fd = listen_on("127.0.0.1", lport), .events = POLLIN},
    };
    printf("listening on 0.0.0.0:%d and 127.0.0.1:%d\n", port, lport);
    fflush(stdout);

    while (!stopping) {
        int n = poll(fds, 2, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("poll");
            return 1;
        }
        if (fds[0].revents & POLLIN) serve_one(fds[0].fd, BODY);
        if (fds[1].revents & POLLIN) serve_one(fds[1].fd, LOOPBACK_BODY);
    }
    printf("stopping\n");
    fflush(stdout);
    return 0;
}
