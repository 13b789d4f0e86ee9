/* Crash isolation: parse outside input in a fork()ed child so that a crash
 * or an endless loop inside libhdf5 becomes a message, not the end (or a
 * hang) of the caller. The child writes its result to one pipe and
 * heartbeats to another; the parent kills a child that goes quiet for too
 * long. See recording.h and io/isolate.h. */
#include "io/isolate.h"
#include "core/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The heartbeat pipe's write end; set only in an isolated child. */
static int heartbeat_fd = -1;

/* What the child sends on it. */
enum { BEAT = 1, INPUT_BEGIN = 2, INPUT_END = 3 };

/* A process watched some other way (a batch worker): told of each. */
static void (*progress_fn)(void *ctx);
static void *progress_ctx;

void ms_isolated_on_progress(void (*fn)(void *ctx), void *ctx)
{
    progress_fn = fn;
    progress_ctx = ctx;
}

static void send_beat(char b)
{
    if (progress_fn)
        progress_fn(progress_ctx);
    if (heartbeat_fd < 0)
        return;
    for (;;) {
        ssize_t w = write(heartbeat_fd, &b, 1);
        /* Non-blocking: when the pipe is full the parent has beats to read
         * and a plain beat can go; the input markers must arrive. */
        if (w == 1 || b == BEAT)
            return;
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd p = {heartbeat_fd, POLLOUT, 0};
            poll(&p, 1, 1000);
            continue;
        }
        return; /* the parent is gone */
    }
}

void ms_isolated_heartbeat(void) { send_beat(BEAT); }
void ms_isolated_input_begin(void) { send_beat(INPUT_BEGIN); }
void ms_isolated_input_end(void) { send_beat(INPUT_END); }

double ms_isolated_stall_s(void)
{
    const char *s = getenv("MINESCAN_STALL_TIMEOUT_S");
    char *end = NULL;
    double v = s ? strtod(s, &end) : 0;
    return (s && end != s && v > 0) ? v : 20.0;
}

/* Milliseconds left until `deadline` for poll(); -1 for none. */
static int ms_left(double deadline)
{
    if (deadline <= 0)
        return -1;
    double left = deadline - ms_now_s();
    if (left <= 0)
        return 0;
    return left > 1e6 ? 1000000000 : (int)(left * 1000) + 1;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* With phase NULL the stall limit always applies; else only while the
 * child reads its input, and *phase says how far it got. */
static int run_isolated(ms_isolated_fn fn, void *ctx, double stall_s,
                        ms_isolated_result *res, ms_input_phase *phase)
{
    int out[2] = {-1, -1}, beat[2] = {-1, -1};
    memset(res, 0, sizeof *res);
    if (pipe(out) != 0 || pipe(beat) != 0) {
        int e = errno;
        close_fd(&out[0]);
        close_fd(&out[1]);
        return ms_fail(MS_ERR_INTERNAL, "cannot create a pipe: %s",
                       strerror(e));
    }
    /* Unflushed output would otherwise be written twice (once by the
     * child's copy of the buffers). */
    fflush(NULL);
#ifdef __linux__
    pid_t parent = getpid();
#endif
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close_fd(&out[0]);
        close_fd(&out[1]);
        close_fd(&beat[0]);
        close_fd(&beat[1]);
        return ms_fail(MS_ERR_INTERNAL, "cannot fork: %s", strerror(e));
    }
    if (pid == 0) {
#ifdef __linux__
        /* `run` does all its work here: a caller killed by its job
         * control must not leave the child writing outputs. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) /* it died before prctl */
            _exit(-MS_ERR_INTERNAL);
#endif
        close(out[0]);
        close(beat[0]);
        fcntl(beat[1], F_SETFL, O_NONBLOCK);
        heartbeat_fd = beat[1];
        progress_fn = NULL; /* the pipe is this child's only watcher */
        int rc = fn(ctx, out[1]);
        close(out[1]);
        /* _exit: no atexit handlers or stdio flushes of the parent's. */
        _exit(rc < 0 ? (-rc) & 0x7f : 0);
    }
    close_fd(&out[1]);
    close_fd(&beat[1]);

    double last = ms_now_s();
    int watched = !phase; /* the stall limit applies now */
    if (phase)
        *phase = MS_INPUT_NOT_STARTED;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    int ret = 0;
    if (!buf)
        ret = ms_fail(MS_ERR_NOMEM, "out of memory");
    while (!ret && out[0] >= 0) {
        struct pollfd p[2] = {{out[0], POLLIN, 0}, {beat[0], POLLIN, 0}};
        int pr = poll(p, beat[0] >= 0 ? 2 : 1,
                      ms_left(stall_s > 0 && watched ? last + stall_s : 0));
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr < 0) {
            ret = ms_fail(MS_ERR_INTERNAL, "poll: %s", strerror(errno));
            kill(pid, SIGKILL);
            break;
        }
        if (pr == 0) { /* quiet for stall_s: give up on it */
            res->timed_out = 1;
            kill(pid, SIGKILL);
            break;
        }
        if (beat[0] >= 0 && p[1].revents) {
            char drain[256];
            ssize_t n = read(beat[0], drain, sizeof drain);
            for (ssize_t k = 0; phase && k < n; k++) {
                if (drain[k] == INPUT_BEGIN)
                    watched = 1, *phase = MS_INPUT_READING;
                if (drain[k] == INPUT_END)
                    watched = 0, *phase = MS_INPUT_READ;
            }
            if (n > 0)
                last = ms_now_s();
            else if (n == 0 || errno != EINTR)
                close_fd(&beat[0]);
        }
        if (!p[0].revents)
            continue;
        if (len + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                ret = ms_fail(MS_ERR_NOMEM, "out of memory");
                kill(pid, SIGKILL);
                break;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t n = read(out[0], buf + len, cap - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* EOF: the child closed the pipe or died */
        len += (size_t)n;
        last = ms_now_s();
    }
    close_fd(&out[0]);
    close_fd(&beat[0]);

    /* Reap the child; the stall limit still applies to one that closed
     * the pipe and kept running. */
    int status = 0;
    for (;;) {
        pid_t w = waitpid(pid, &status, stall_s > 0 ? WNOHANG : 0);
        if (w == pid)
            break;
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            if (!ret)
                ret = ms_fail(MS_ERR_INTERNAL, "cannot wait for child: %s",
                              strerror(errno));
            break;
        }
        if (!res->timed_out && watched && ms_left(last + stall_s) == 0) {
            res->timed_out = 1;
            kill(pid, SIGKILL);
        }
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    if (ret || !buf) {
        free(buf);
        return ret ? ret : MS_ERR_NOMEM;
    }
    buf[len] = '\0';
    res->text = buf;
    res->text_len = len;
    if (WIFEXITED(status) && !res->timed_out) {
        res->exited = 1;
        res->code = -WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        res->signal = WTERMSIG(status);
    }
    return 0;
}

int ms_run_isolated(ms_isolated_fn fn, void *ctx, double stall_s,
                    ms_isolated_result *res)
{
    return run_isolated(fn, ctx, stall_s, res, NULL);
}

int ms_run_isolated_input(ms_isolated_fn fn, void *ctx, double stall_s,
                          ms_isolated_result *res, ms_input_phase *phase)
{
    ms_input_phase ignored;
    return run_isolated(fn, ctx, stall_s, res, phase ? phase : &ignored);
}

int ms_isolated_read_failure(const char *path, const ms_isolated_result *r,
                             double stall_s, ms_diag *diag)
{
    int ret = MS_ERR_INVALID_INPUT;
    if (r->timed_out)
        ms_fail(ret, "%s: the HDF5 library made no progress reading this "
                "file for %g s and was stopped; it is corrupt (on very slow "
                "storage, raise MINESCAN_STALL_TIMEOUT_S)", path, stall_s);
    else if (r->signal)
        ms_fail(ret, "%s: the HDF5 library crashed reading this file "
                "(signal %d, %s); it is corrupt", path, r->signal,
                strsignal(r->signal));
    else {
        ret = r->code ? MS_ERR_INVALID_INPUT : MS_ERR_INTERNAL;
        ms_fail(ret, "%s: reading it stopped without a result (exit status "
                "%d); the HDF5 library failed on it, so it is probably "
                "corrupt", path, -r->code);
    }
    if (diag)
        ms_diag_add(diag, "%s", ms_error_message());
    return ret;
}
