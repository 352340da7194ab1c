/*
 * sidekick-unpack: a pod archive's upload with noOverwriteDirNonDir in one pass
 * (docs/ARCHITECTURE.md, "The archive through an ephemeral sidekick"; the pinned segments of
 * src/engines/kubernetes/pinned-upload.ts are what it replaces, an exec per directory).
 *
 *   sidekick-unpack DIR < tar     unpacks the tar below DIR
 *   sidekick-unpack --check       exits 0 when this kernel has what it needs (openat2)
 *
 * It runs in the archive sidekick with the target's root as its own (nsenter -r), so DIR is
 * resolved inside that root, and opened once. Below it, every entry's parent is opened from
 * that descriptor with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS):
 * no link of the target, planted before or swapped in during the upload, is ever followed, and
 * nothing is written outside DIR. The last component is never followed either (O_NOFOLLOW,
 * AT_SYMLINK_NOFOLLOW, fd-based owners, modes and times).
 *
 * What it writes is what the Docker engine's archive PUT writes with noOverwriteDirNonDir:
 * - a directory entry over a directory keeps it (its owner, mode and time become the entry's);
 *   over anything else it is refused: "cannot overwrite non-directory X with directory";
 * - any other entry over a directory is refused: "cannot overwrite directory X with
 *   non-directory"; over a non-directory it replaces it (unlinked, then made anew);
 * - a missing parent directory is made (0755, root's).
 * The first refusal or failure ends the writing (what came before stays, as with a tar): one
 * line on stderr, exit 3 for a refusal, 1 for a failure, 2 for a missing DIR or bad usage. The
 * rest of the tar is read and dropped, so that the sender never sees a broken pipe; nothing is
 * read past its end-of-archive blocks, so that it never waits for an end of input that an
 * exec's stdin may not carry.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <unistd.h>

#define BLOCK 512
#define INBUF (4 << 20)
#define MAX_META (1 << 20) /* longest PAX record block or GNU long name accepted */
/* openat2(2)'s request, spelled out: musl and older headers lack <linux/openat2.h>. */
struct open_how {
    uint64_t flags;
    uint64_t mode;
    uint64_t resolve;
};
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#define PARENT_RESOLVE (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

static unsigned char *in;
static size_t in_off, in_len;
static int in_eof;

static int root_fd = -1; /* DIR */
static char *parent_path;  /* the cached parent, relative to DIR ("" is DIR) */
static int parent_fd = -1; /* an O_PATH fd of it, or root_fd */

static long entry_index = 0;
static int stopped = 0; /* 0: writing; 3: refused; 1: failed */

struct dirtime {
    char *path;
    struct timespec mtime;
};
static struct dirtime *dirtimes;
static size_t ndirtimes, capdirtimes;

static void die(const char *what) {
    fprintf(stderr, "sidekick-unpack: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Makes at least `want` bytes readable at in + in_off; returns how many are (less only at EOF). */
static size_t fill(size_t want) {
    if (in_len - in_off >= want) return in_len - in_off;
    if (in_off > 0) {
        memmove(in, in + in_off, in_len - in_off);
        in_len -= in_off;
        in_off = 0;
    }
    while (in_len < want && !in_eof) {
        ssize_t n = read(0, in + in_len, INBUF - in_len);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("read");
        }
        if (n == 0) in_eof = 1;
        in_len += (size_t)n;
    }
    return in_len - in_off;
}

static void short_tar(void) {
    fprintf(stderr, "sidekick-unpack: the tar ended in the middle of an entry\n");
    exit(1);
}

/* Copies `size` bytes of entry data to fd (or drops them with fd < 0), then the padding. */
static int copy_data(int fd, uint64_t size) {
    uint64_t padded = (size + BLOCK - 1) / BLOCK * BLOCK;
    int error = 0;
    while (padded > 0) {
        size_t have = fill(1);
        if (have == 0) short_tar();
        size_t take = have < padded ? have : (size_t)padded;
        size_t data = size < take ? (size_t)size : take;
        unsigned char *p = in + in_off;
        while (fd >= 0 && data > 0 && !error) {
            ssize_t n = write(fd, p, data);
            if (n < 0) {
                if (errno == EINTR) continue;
                error = errno;
                break;
            }
            p += n;
            data -= (size_t)n;
        }
        size -= size < take ? size : take;
        in_off += take;
        padded -= take;
    }
    return error;
}

static int read_meta(uint64_t size, char **out) {
    if (size > MAX_META) {
        fprintf(stderr, "sidekick-unpack: a tar header record is too large\n");
        exit(1);
    }
    uint64_t padded = (size + BLOCK - 1) / BLOCK * BLOCK;
    if (fill((size_t)padded) < padded) short_tar();
    char *buf = malloc((size_t)size + 1);
    if (!buf) die("malloc");
    memcpy(buf, in + in_off, (size_t)size);
    buf[size] = 0;
    in_off += (size_t)padded;
    *out = buf;
    return 0;
}

static uint64_t number(const unsigned char *field, size_t len) {
    if (field[0] & 0x80) { /* base-256 */
        uint64_t v = field[0] & 0x7f;
        for (size_t i = 1; i < len; i++) v = (v << 8) | field[i];
        return v;
    }
    uint64_t v = 0;
    size_t i = 0;
    while (i < len && (field[i] == ' ' || field[i] == 0)) i++;
    for (; i < len && field[i] >= '0' && field[i] <= '7'; i++) v = v * 8 + (uint64_t)(field[i] - '0');
    return v;
}

static char *field_string(const unsigned char *field, size_t len) {
    size_t n = strnlen((const char *)field, len);
    char *s = malloc(n + 1);
    if (!s) die("malloc");
    memcpy(s, field, n);
    s[n] = 0;
    return s;
}

/* A name made relative and checked: no "..", no empty result. Returns NULL for the root itself. */
static char *clean_name(const char *name, int *bad) {
    *bad = 0;
    size_t n = strlen(name);
    char *out = malloc(n + 1);
    if (!out) die("malloc");
    size_t o = 0;
    const char *p = name;
    while (*p) {
        while (*p == '/') p++;
        const char *start = p;
        while (*p && *p != '/') p++;
        size_t len = (size_t)(p - start);
        if (len == 0 || (len == 1 && start[0] == '.')) continue;
        if (len == 2 && start[0] == '.' && start[1] == '.') {
            *bad = 1;
            free(out);
            return NULL;
        }
        if (o > 0) out[o++] = '/';
        memcpy(out + o, start, len);
        o += len;
    }
    out[o] = 0;
    if (o == 0) {
        free(out);
        return NULL;
    }
    return out;
}

static int open_in_root(const char *path, uint64_t flags) {
    if (path[0] == 0) return dup(root_fd);
    struct open_how how = {.flags = flags | O_CLOEXEC, .resolve = PARENT_RESOLVE};
    long fd;
    do fd = syscall(SYS_openat2, root_fd, path, &how, sizeof how);
    while (fd < 0 && errno == EAGAIN);
    return (int)fd;
}

/*
 * A tar may name a/b/c without a/b: the missing directories are made (0755, root's), as the
 * engine makes them; each one must be absent, and its parent a directory, as for an entry.
 */
static int make_parents(const char *path) {
    char *copy = strdup(path);
    if (!copy) die("strdup");
    int result = 0;
    for (char *p = copy;; p++) {
        if (*p != '/' && *p != 0) continue;
        char saved = *p;
        *p = 0;
        int fd = open_in_root(copy, O_PATH | O_DIRECTORY);
        if (fd >= 0) close(fd);
        else if (errno != ENOENT) result = -1;
        else {
            char *slash = strrchr(copy, '/');
            int dir = slash ? (*slash = 0, open_in_root(copy, O_PATH | O_DIRECTORY)) : dup(root_fd);
            if (slash) *slash = '/';
            if (dir < 0 || mkdirat(dir, slash ? slash + 1 : copy, 0755) < 0) result = -1;
            if (dir >= 0) close(dir);
        }
        *p = saved;
        if (result < 0 || saved == 0) break;
    }
    free(copy);
    return result;
}

/* The directory `path` (relative to DIR) as a dirfd; the last one is kept. */
static int parent_dir(const char *path) {
    if (parent_path && strcmp(parent_path, path) == 0) return parent_fd;
    if (parent_fd >= 0 && parent_fd != root_fd) close(parent_fd);
    free(parent_path);
    parent_path = NULL;
    parent_fd = -1;
    int fd = path[0] == 0 ? root_fd : open_in_root(path, O_PATH | O_DIRECTORY);
    if (fd < 0 && errno == ENOENT && make_parents(path) == 0) fd = open_in_root(path, O_PATH | O_DIRECTORY);
    if (fd < 0) return -1;
    parent_fd = fd;
    parent_path = strdup(path);
    if (!parent_path) die("strdup");
    return fd;
}

/* Splits "a/b/c" into the parent "a/b" (or "") and returns the last component. */
static const char *split(char *path, char **parent) {
    char *slash = strrchr(path, '/');
    if (!slash) {
        *parent = "";
        return path;
    }
    *slash = 0;
    *parent = path;
    return slash + 1;
}

struct entry {
    char type;
    char *name; /* cleaned, relative */
    char *link; /* symlink target as is; hard link target cleaned */
    uint64_t size;
    mode_t mode;
    uid_t uid;
    gid_t gid;
    struct timespec mtime;
    unsigned major, minor;
};

/* The first refusal (3) or failure (1) is said, in the Docker engine's words where it has some. */
static void refuse(int status, const char *name, const char *reason, int err) {
    if (stopped) return;
    stopped = status;
    if (err) fprintf(stderr, "sidekick-unpack: %s %s: %s\n", name, reason, strerror(err));
    else fprintf(stderr, "sidekick-unpack: %s %s\n", name, reason);
}

static int refusal_for(int err) {
    /* ELOOP/ENOTDIR/EXDEV: a directory on the way is a link or something else now. */
    return err == EEXIST || err == ELOOP || err == ENOTDIR || err == EXDEV ? 3 : 1;
}

static void remember_dirtime(const char *path, struct timespec mtime) {
    if (ndirtimes == capdirtimes) {
        capdirtimes = capdirtimes ? capdirtimes * 2 : 1024;
        dirtimes = realloc(dirtimes, capdirtimes * sizeof *dirtimes);
        if (!dirtimes) die("realloc");
    }
    dirtimes[ndirtimes].path = strdup(path);
    if (!dirtimes[ndirtimes].path) die("strdup");
    dirtimes[ndirtimes++].mtime = mtime;
}

/*
 * What is at the entry's name now decides, as noOverwriteDirNonDir does: a directory stays for a
 * directory entry; a non-directory goes for a non-directory entry; any other pair is refused.
 * Returns 0 to go on (*kept set when a directory is kept), or -1 after a refusal.
 */
static int clear_name(int dir, const char *base, struct entry *e, int *kept) {
    struct stat st;
    *kept = 0;
    if (fstatat(dir, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT) return 0;
        refuse(refusal_for(errno), e->name, "cannot be looked at", errno);
        return -1;
    }
    int is_dir = S_ISDIR(st.st_mode);
    if (e->type == '5') {
        if (is_dir) {
            *kept = 1;
            return 0;
        }
        fprintf(stderr, "sidekick-unpack: cannot overwrite non-directory %s with directory\n", e->name);
        stopped = 3;
        return -1;
    }
    if (is_dir) {
        fprintf(stderr, "sidekick-unpack: cannot overwrite directory %s with non-directory\n", e->name);
        stopped = 3;
        return -1;
    }
    if (unlinkat(dir, base, 0) < 0 && errno != ENOENT) {
        refuse(refusal_for(errno), e->name, "cannot be replaced", errno);
        return -1;
    }
    return 0;
}

/* A link's or a node's owner and time, set on the name itself (never followed). */
static int own_and_date(int dir, const char *base, const struct entry *e, const struct timespec times[2]) {
    if (fchownat(dir, base, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0) return -1;
    return utimensat(dir, base, times, AT_SYMLINK_NOFOLLOW);
}

static void write_entry(struct entry *e) {
    char *path = strdup(e->name);
    if (!path) die("strdup");
    char *parent;
    const char *base = split(path, &parent);
    int dir = parent_dir(parent);
    int kept = 0;
    if (dir < 0) {
        int err = errno;
        refuse(refusal_for(err), e->name, "has a directory that is not one below the upload's (a link, or gone)", err);
        free(path);
        copy_data(-1, e->size);
        return;
    }
    if (clear_name(dir, base, e, &kept) < 0) {
        free(path);
        copy_data(-1, e->size);
        return;
    }
    struct timespec times[2] = {e->mtime, e->mtime};
    int err = 0;
    const char *what = "";
    switch (e->type) {
    case '0':
    case '\0':
    case '7': {
        int fd = openat(dir, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
            err = errno;
            what = "cannot be created";
            copy_data(-1, e->size);
            break;
        }
        err = copy_data(fd, e->size);
        if (err) what = "cannot be written";
        else if (fchown(fd, e->uid, e->gid) < 0 || fchmod(fd, e->mode) < 0 || futimens(fd, times) < 0) {
            err = errno;
            what = "cannot be given its owner, mode or time";
        }
        close(fd);
        break;
    }
    case '5': {
        if (!kept && mkdirat(dir, base, 0700) < 0) {
            err = errno;
            what = "cannot be created";
            break;
        }
        int fd = openat(dir, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fchown(fd, e->uid, e->gid) < 0 || fchmod(fd, e->mode) < 0) {
            err = errno;
            what = "cannot be given its owner or mode";
        }
        if (fd >= 0) close(fd);
        if (!err) remember_dirtime(e->name, e->mtime);
        break;
    }
    case '2':
        if (symlinkat(e->link, dir, base) < 0) {
            err = errno;
            what = "cannot be created";
        } else if (own_and_date(dir, base, e, times) < 0) {
            err = errno;
            what = "cannot be given its owner or time";
        }
        break;
    case '1': {
        /* The name it links to, below DIR as every entry's, never through a link. */
        int from = open_in_root(e->link, O_PATH | O_NOFOLLOW);
        if (from < 0) {
            err = errno;
            what = "names a file to link to that cannot be opened";
            break;
        }
        if (linkat(from, "", dir, base, AT_EMPTY_PATH) < 0) {
            char proc[64];
            snprintf(proc, sizeof proc, "/proc/self/fd/%d", from);
            if (errno == EEXIST || linkat(AT_FDCWD, proc, dir, base, AT_SYMLINK_FOLLOW) < 0) {
                err = errno;
                what = "cannot be linked";
            }
        }
        close(from);
        break;
    }
    case '3':
    case '4':
    case '6': {
        mode_t kind = e->type == '3' ? S_IFCHR : e->type == '4' ? S_IFBLK : S_IFIFO;
        if (mknodat(dir, base, kind | (e->mode & 0777), makedev(e->major, e->minor)) < 0) {
            err = errno;
            what = "cannot be created";
        } else if (own_and_date(dir, base, e, times) < 0) {
            err = errno;
            what = "cannot be given its owner or time";
        }
        break;
    }
    default:
        refuse(1, e->name, "has a tar entry type sidekick does not write", 0);
        copy_data(-1, e->size);
        free(path);
        return;
    }
    if (e->type == '1' || e->type == '2' || e->type == '5') copy_data(-1, e->size);
    if (err) refuse(refusal_for(err), e->name, what, err);
    free(path);
}

/* Directories get their times last: creating their entries changed them. */
static void set_dir_times(void) {
    for (size_t i = ndirtimes; i-- > 0;) {
        int fd = open_in_root(dirtimes[i].path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        if (fd < 0) continue; /* gone or swapped since: nothing of ours to date */
        struct timespec times[2] = {dirtimes[i].mtime, dirtimes[i].mtime};
        futimens(fd, times);
        close(fd);
    }
}

static void parse_pax(const char *data, size_t len, struct entry *e, int *has_size) {
    size_t off = 0;
    while (off < len) {
        char *end;
        unsigned long rec = strtoul(data + off, &end, 10);
        if (rec == 0 || *end != ' ' || off + rec > len) break;
        const char *key = end + 1;
        const char *eq = memchr(key, '=', (size_t)(data + off + rec - key));
        if (!eq) break;
        size_t klen = (size_t)(eq - key);
        size_t vlen = (size_t)(data + off + rec - 1 - (eq + 1));
        const char *value = eq + 1;
        char *v = strndup(value, vlen);
        if (!v) die("strndup");
        if (klen == 4 && memcmp(key, "path", 4) == 0) {
            free(e->name);
            e->name = v;
            v = NULL;
        } else if (klen == 8 && memcmp(key, "linkpath", 8) == 0) {
            free(e->link);
            e->link = v;
            v = NULL;
        } else if (klen == 4 && memcmp(key, "size", 4) == 0) {
            e->size = strtoull(v, NULL, 10);
            *has_size = 1;
        } else if (klen == 3 && memcmp(key, "uid", 3) == 0) {
            e->uid = (uid_t)strtoul(v, NULL, 10);
        } else if (klen == 3 && memcmp(key, "gid", 3) == 0) {
            e->gid = (gid_t)strtoul(v, NULL, 10);
        } else if (klen == 5 && memcmp(key, "mtime", 5) == 0) {
            char *frac;
            e->mtime.tv_sec = strtoll(v, &frac, 10);
            e->mtime.tv_nsec = 0;
            if (*frac == '.') {
                long ns = 0;
                int digits = 0;
                for (frac++; *frac >= '0' && *frac <= '9' && digits < 9; frac++, digits++) ns = ns * 10 + (*frac - '0');
                for (; digits < 9; digits++) ns *= 10;
                e->mtime.tv_nsec = ns;
            }
        }
        free(v);
        off += rec;
    }
}

/* openat2 is Linux 5.6; without it nothing here is safe, and the caller falls back. */
static int check(void) {
    int dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return 1;
    struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC, .resolve = PARENT_RESOLVE};
    long fd = syscall(SYS_openat2, dir, ".", &how, sizeof how);
    if (fd < 0) {
        fprintf(stderr, "sidekick-unpack: openat2: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    /* Started from the keeper's /bin: out of it at once, as every operation leaves it
       (src/engines/kubernetes/archive-scripts.ts), so that no working directory of ours is there. */
    if (chdir("/") < 0) die("chdir /");
    if (argc == 2 && strcmp(argv[1], "--check") == 0) return check();
    if (argc != 2) {
        fprintf(stderr, "usage: sidekick-unpack DIR < tar\n");
        return 2;
    }
    umask(0);
    in = malloc(INBUF);
    if (!in) die("malloc");
    root_fd = open(argv[1], O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0) {
        fprintf(stderr, "sidekick-unpack: Could not find the directory %s in container: %s\n", argv[1], strerror(errno));
        /* The tar is still read to its end (below, nothing written), as after a refusal. */
        stopped = 2;
    }

    char *long_name = NULL, *long_link = NULL;
    char *pax = NULL;
    size_t pax_len = 0;
    for (;;) {
        if (fill(BLOCK) < BLOCK) short_tar();
        const unsigned char *h = in + in_off;
        int zero = 1;
        for (int i = 0; i < BLOCK; i++)
            if (h[i]) {
                zero = 0;
                break;
            }
        if (zero) {
            /* The end: its second zero block too, which the sender sends with the first. Nothing is
               read past it: an exec's stdin may never be closed (channel protocol v4 has no close). */
            in_off += BLOCK;
            if (fill(BLOCK) >= BLOCK) in_off += BLOCK;
            break;
        }
        unsigned sum = 0;
        for (int i = 0; i < BLOCK; i++) sum += (i >= 148 && i < 156) ? ' ' : h[i];
        if (sum != number(h + 148, 8)) {
            fprintf(stderr, "sidekick-unpack: a tar header with a bad checksum\n");
            return 1;
        }
        struct entry e = {0};
        e.type = (char)h[156];
        e.size = number(h + 124, 12);
        e.mode = (mode_t)(number(h + 100, 8) & 07777);
        e.uid = (uid_t)number(h + 108, 8);
        e.gid = (gid_t)number(h + 116, 8);
        e.mtime.tv_sec = (time_t)number(h + 136, 12);
        e.major = (unsigned)number(h + 329, 8);
        e.minor = (unsigned)number(h + 337, 8);
        char *name = field_string(h, 100);
        if (memcmp(h + 257, "ustar", 5) == 0 && h[345]) {
            char *prefix = field_string(h + 345, 155);
            char *joined = malloc(strlen(prefix) + strlen(name) + 2);
            if (!joined) die("malloc");
            sprintf(joined, "%s/%s", prefix, name);
            free(prefix);
            free(name);
            name = joined;
        }
        e.name = name;
        e.link = field_string(h + 157, 100);
        in_off += BLOCK;
        if (e.type == 'L' || e.type == 'K' || e.type == 'x' || e.type == 'g') {
            char *data;
            read_meta(e.size, &data);
            if (e.type == 'L') {
                free(long_name);
                long_name = data;
            } else if (e.type == 'K') {
                free(long_link);
                long_link = data;
            } else if (e.type == 'x') {
                free(pax);
                pax = data;
                pax_len = (size_t)e.size;
            } else {
                free(data);
            }
            free(e.name);
            free(e.link);
            continue;
        }
        if (long_name) {
            free(e.name);
            e.name = long_name;
            long_name = NULL;
        }
        if (long_link) {
            free(e.link);
            e.link = long_link;
            long_link = NULL;
        }
        int has_size = 0;
        if (pax) {
            parse_pax(pax, pax_len, &e, &has_size);
            free(pax);
            pax = NULL;
        }
        if (e.type == '1' || e.type == '2' || e.type == '5') {
            if (e.type == '5' || e.type == '2') e.size = has_size ? e.size : 0;
        }
        int bad = 0;
        char *clean = clean_name(e.name, &bad);
        if (e.type == '1' && !bad) {
            int bad_link = 0;
            char *target = clean_name(e.link, &bad_link);
            if (!target || bad_link) bad = 1;
            free(e.link);
            e.link = target;
        }
        if (bad) {
            refuse(1, e.name, "leads out of the directory it is unpacked into", 0);
            copy_data(-1, e.size);
        } else if (!clean) {
            copy_data(-1, e.size); /* DIR itself ("./"): the target's, its owner and mode left as they are */
        } else {
            free(e.name);
            e.name = clean;
            clean = NULL;
            if (stopped) copy_data(-1, e.size);
            else write_entry(&e);
        }
        free(clean);
        free(e.name);
        free(e.link);
        entry_index++;
    }
    if (root_fd >= 0) set_dir_times();
    return stopped;
}
