/* Batch processing: see batch.h. */
/* MAP_ANONYMOUS (shared rows and worker states) is not in POSIX 2008. */
#define _DEFAULT_SOURCE
#include "core/i18n.h"
#include "runner/batch.h"
#include "core/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "minescan/error.h"
#include "minescan/version.h"
#include "core/files.h"
#include "core/outdir.h"
#include "io/isolate.h"
#include "opencl/cl_runtime.h"
#include "report/summary.h" /* ms_file_crc32 */
#include "runner/batch_inputs.h"
#include "runner/batch_lock.h"
#include "runner/batch_progress.h"
#include "runner/batch_shard.h"

typedef ms_batch_row batch_row;

/* A string member of a JSON object, "" if absent or not a string (an
 * edited summary.json must not crash the batch). */
static const char *json_text(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* A number member of a JSON object, NaN if absent or null. */
static double json_num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* An output folder is current when its summary.json names this input
 * with the same checksum (and --dx), the same software version, recipe
 * text, overrides and detection options, and every output it lists exists. A
 * current folder's figures go into the row, so that batch.csv stays a
 * complete table. */
static int is_current(const char *input, const char *dir,
                      const ms_batch_options *opt, batch_row *row)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    json_t *s = json_load_file(path, 0, NULL);
    if (!s)
        return 0;
    int current = 0;
    char crc[9];
    ms_recipe recipe;
    if (ms_file_crc32(input, crc, NULL) == 0 &&
        ms_recipe_load(opt->process.recipe ? opt->process.recipe : "default",
                       &recipe) == 0) {
        json_t *in = json_object_get(s, "input"), *r = json_object_get(s, "recipe");
        json_t *ov = json_object_get(r, "overrides");
        const char *lang = json_text(s, "lang");
        current = !strcmp(*lang ? lang : "en", ms_lang()) &&
                  !strcmp(json_text(s, "version"), MINESCAN_VERSION) &&
                  !strcmp(json_text(in, "crc32"), crc) &&
                  !strcmp(json_text(r, "text"), recipe.text) &&
                  json_array_size(ov) == opt->process.n_overrides;
        for (size_t i = 0; current && i < opt->process.n_overrides; i++) {
            const char *o = json_string_value(json_array_get(ov, i));
            current = o && !strcmp(o, opt->process.overrides[i]);
        }
        /* --dx moves a field file's traces: absent or null is "not
         * given" (summaries written before it existed); equal within the
         * 9 digits summary.json keeps */
        double dx = json_num(in, "dx_m");
        dx = isnan(dx) ? 0.0 : dx;
        current = current && fabs(dx - opt->process.dx_m) <=
                                 1e-8 * fabs(opt->process.dx_m);
        json_t *det = json_object_get(s, "detection");
        current = current &&
                  json_num(det, "alarm_threshold") ==
                      opt->process.alarm_threshold &&
                  json_num(det, "alarm_separation_m") ==
                      opt->process.alarm_separation_m &&
                  json_num(det, "halo_m") == opt->process.halo_m &&
                  json_num(det, "sensor_threshold") ==
                      opt->process.sensor_threshold &&
                  json_num(det, "sweep_footprint_m") ==
                      opt->process.footprint_m &&
                  json_num(det, "sweep_speed_limit_m_per_s") ==
                      opt->process.speed_limit_m_s;
        json_t *outs = json_object_get(s, "outputs");
        current = current && json_array_size(outs) > 0;
        for (size_t i = 0; current && i < json_array_size(outs); i++) {
            const char *name = json_string_value(json_array_get(outs, i));
            snprintf(path, sizeof path, "%s/%s", dir, name ? name : "");
            current = name && !strchr(name, '/') && access(path, R_OK) == 0;
        }
        ms_recipe_free(&recipe);
    }
    if (current) {
        json_t *res = json_object_get(s, "results");
        double n = json_num(res, "n_alarms");
        row->n_alarms = isnan(n) ? -1 : (long long)n;
        row->pd = json_num(res, "pd");
        row->far = json_num(res, "far_per_m2");
    }
    json_decref(s);
    return current;
}

/* ---- the workers ------------------------------------------------------
 * Each worker is a process of its own that takes inputs from a shared
 * counter until none is left and processes them in-process with one
 * runner (OpenCL context and built programs) for all of them: the runner
 * is created in the worker, after the fork, at the first input that needs
 * it. The worker is the isolation unit: it records in shared memory which
 * input it is on and when it last made progress, and the parent, which
 * never opens OpenCL, watches. A worker that dies (a crash inside libhdf5
 * on a hostile file) or makes no progress for the stall limit (killed)
 * fails that one input with the reason, and a fresh worker with a fresh
 * runner takes the rest. A worker also retires after a file that the
 * reader rejected (what a hostile file did to libhdf5 stays with it), and
 * drops its runner after an input that left OpenCL in error. */

#define MAX_WORKERS 256
/* A worker's `current` when it is on no input. */
#define NO_INPUT SIZE_MAX
/* Added to `current` by the parent when it stops a stalled worker. */
#define STOPPED_BIT (~(SIZE_MAX >> 1))
/* Workers that die without being on an input (never seen: a safety net
 * against starting replacements forever). */
#define MAX_IDLE_DEATHS 8

typedef struct batch_worker {
    atomic_size_t current;          /* the input it is on, or NO_INPUT */
    atomic_llong taken_ns, beat_ns; /* when it took it; its last progress */
} batch_worker;

/* What the workers and the parent share (MAP_SHARED): the rows the
 * workers fill, the next input to take, how many are done, and where
 * each worker is. */
typedef struct batch_shared {
    atomic_size_t next, done; /* lock-free, so valid across processes */
    batch_worker workers[MAX_WORKERS];
    batch_row rows[];
} batch_shared;

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A finished input: counted (the parent prints its line). */
static void report_row(batch_shared *sh)
{
    atomic_fetch_add(&sh->done, 1);
}

/* Test hook: with MINESCAN_DEBUG_RUNNER_LOG=FILE every runner that a batch
 * worker creates appends a line "PID KIND" to FILE, so that a test can
 * count them against the inputs. */
static void log_runner_creation(const ms_runner *r)
{
    const char *path = getenv("MINESCAN_DEBUG_RUNNER_LOG");
    if (!path || !*path)
        return;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    char line[128];
    int len = snprintf(line, sizeof line, "%ld %s\n", (long)getpid(),
                       ms_runner_kind(r));
    ms_write_all(fd, line, (size_t)len);
    close(fd);
}

/* Whether the comma-separated list in environment variable `var` holds
 * an item KIND:VALUE (with `value` NULL: any value, copied to `out`). */
static int fault_item(const char *var, const char *kind, const char *value,
                      char *out, size_t len)
{
    const char *spec = getenv(var);
    if (!spec || !*spec)
        return 0;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", spec);
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(item, ':');
        if (!colon)
            continue;
        *colon = '\0';
        if (strcmp(item, kind) != 0 || (value && strcmp(colon + 1, value)))
            continue;
        if (out)
            snprintf(out, len, "%s", colon + 1);
        return 1;
    }
    return 0;
}

/* Test hook: MINESCAN_DEBUG_BATCH_FAULT=crash:NAME[,stall:NAME...] makes
 * the worker that processes the input whose file name (without folders) is
 * NAME die of SIGSEGV, or stop making progress, once its runner exists:
 * what a hostile file does to libhdf5, on demand. */
static void injected_batch_fault(const char *input)
{
    const char *base = strrchr(input, '/');
    base = base ? base + 1 : input;
    if (fault_item("MINESCAN_DEBUG_BATCH_FAULT", "crash", base, NULL, 0)) {
        signal(SIGSEGV, SIG_DFL); /* past a sanitizer's handler */
        raise(SIGSEGV);
    }
    if (fault_item("MINESCAN_DEBUG_BATCH_FAULT", "stall", base, NULL, 0))
        for (;;)
            pause();
}

typedef struct worker_state {
    batch_shared *sh;
    size_t n;
    const ms_batch_options *opt;
    batch_worker *self;
    ms_runner *runner; /* created at the first input that needs it */
} worker_state;

/* Every heartbeat of the reader, the stages and the writers. */
static void worker_beat(void *arg)
{
    batch_worker *w = arg;
    atomic_store(&w->beat_ns, now_ns());
}

/* Process one input in the worker, into `row`. Returns 1 when the worker
 * should retire after it: libhdf5 rejected the file, and a hostile file
 * that libhdf5 survived must still leave nothing behind for the next. */
static int worker_process(worker_state *ws, batch_row *row)
{
    const ms_batch_options *opt = ws->opt;
    row->status = "failed";
    int rc = 0;
    if (!ws->runner) {
        rc = ms_runner_create(opt->device, &ws->runner);
        if (!rc)
            log_runner_creation(ws->runner);
    } else
        ms_runner_rearm_faults(ws->runner);
    if (rc) { /* --device opencl without a device: each input says so */
        snprintf(row->reason, sizeof row->reason, "%s", ms_error_message());
        return 0;
    }
    injected_batch_fault(row->input);
    ms_diag diag;
    ms_diag_init(&diag);
    ms_process_result res;
    rc = ms_process_recording(ws->runner, row->input, row->output_dir,
                              &opt->process, &diag, &res);
    /* The reason: the first defect of an invalid file, else the message. */
    snprintf(row->reason, sizeof row->reason, "%s",
             !rc ? ""
             : res.input_invalid && diag.n ? diag.lines[0]
                                           : ms_error_message());
    row->seconds = res.seconds;
    if (!rc) {
        row->status = "ok";
        row->n_alarms = (long long)res.n_alarms;
        row->pd = res.pd;
        row->far = res.scored ? res.far : NAN;
    }
    ms_diag_free(&diag);
    if (rc == MS_ERR_NOMEM && opt->max_memory_mb > 0) {
        size_t len = strlen(row->reason);
        snprintf(row->reason + len, sizeof row->reason - len,
                 " (memory capped at %ld MiB by --max-memory-mb)",
                 opt->max_memory_mb);
    }
    /* Each run starts with OpenCL afresh (ms_run_recipe resets the stage
     * fallbacks), but a context whose last call failed (a copy back to
     * the host, a stage that failed when nothing after it succeeded) may
     * be broken for good on some drivers: the next input gets a new
     * runner. A run whose failed stage was followed by working ones keeps
     * it. */
    ms_cl *cl = ms_runner_cl(ws->runner);
    if (rc == MS_ERR_OPENCL || (cl && ms_cl_last_error(cl) != CL_SUCCESS)) {
        ms_runner_free(ws->runner);
        ws->runner = NULL;
    }
    /* After running out of memory the heap may be fragmented for good: a
     * fresh worker takes the next input. */
    return rc && (res.input_invalid || rc == MS_ERR_NOMEM);
}

/* One input: skipped when current, else processed; the row is published
 * whole, its status last. Returns 1 when the worker should retire. */
static int worker_one(worker_state *ws, size_t i)
{
    batch_shared *sh = ws->sh;
    batch_row row = sh->rows[i];
    double t0 = ms_now_s();
    int retire = 0;
    ms_outdir_sweep(row.output_dir); /* a killed batch's leftovers */
    if (!ws->opt->force &&
        is_current(row.input, row.output_dir, ws->opt, &row)) {
        row.status = "skipped";
        snprintf(row.reason, sizeof row.reason,
                 "outputs are complete and current");
    } else
        retire = worker_process(ws, &row);
    row.wall_s = ms_now_s() - t0;
    const char *status = row.status;
    row.status = NULL;
    sh->rows[i] = row;
    atomic_thread_fence(memory_order_release);
    sh->rows[i].status = status;
    report_row(sh);
    return retire;
}

static void worker_main(batch_shared *sh, size_t w, size_t n,
                        const ms_batch_options *opt)
{
    worker_state ws = {sh, n, opt, &sh->workers[w], NULL};
    ms_isolated_on_progress(worker_beat, ws.self);
    for (int retire = 0; !retire;) {
        long long t = now_ns();
        atomic_store(&ws.self->beat_ns, t);
        atomic_store(&ws.self->taken_ns, t);
        size_t i = atomic_fetch_add(&sh->next, 1);
        if (i >= n)
            break;
        atomic_store(&ws.self->current, i);
        retire = worker_one(&ws, i);
        size_t expected = i;
        if (!atomic_compare_exchange_strong(&ws.self->current, &expected,
                                            NO_INPUT))
            for (;;) /* the parent has just stopped it as stalled */
                pause();
    }
    ms_isolated_on_progress(NULL, NULL);
    ms_runner_free(ws.runner);
}

/* PoCL's kernel cache is not safe for concurrent builders: give each
 * worker its own (other OpenCL drivers ignore the variable). A worker
 * that replaces another takes over its slot and its cache. */
static void worker_cache_dir(size_t worker)
{
    const char *base = getenv("POCL_CACHE_DIR");
    const char *home = getenv("HOME");
    char dir[4096];
    if (base && *base)
        snprintf(dir, sizeof dir, "%s/minescan-worker-%zu", base, worker);
    else if (home && *home)
        snprintf(dir, sizeof dir, "%s/.cache/pocl/kcache/minescan-worker-%zu",
                 home, worker);
    else
        return;
    setenv("POCL_CACHE_DIR", dir, 1);
}

/* The signals that stop a batch: the parent kills its workers, writes
 * the reports and then dies of the signal. */
static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};
static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig) { stop_requested = sig; }

/* In the parent, which holds no OpenCL state: fork worker `w` into the
 * workers' process group *pgid (0: a new one, led by this worker). */
static pid_t start_worker(batch_shared *sh, size_t w, size_t n,
                          const ms_batch_options *opt, pid_t *pgid)
{
    atomic_store(&sh->workers[w].current, NO_INPUT);
    fflush(NULL); /* or the worker writes the parent's buffers again */
#ifdef __linux__
    pid_t parent = getpid();
#endif
    pid_t group = *pgid;
    pid_t pid = fork();
    if (pid > 0) {
        /* Both sides set the group, so that it is right whichever runs
         * first; a group whose members have all ended is gone, and the
         * worker then leads a new one. */
        if (setpgid(pid, group) != 0)
            setpgid(pid, pid);
        pid_t g = getpgid(pid);
        if (g > 0)
            *pgid = g;
        return pid;
    }
    if (pid < 0)
        return pid;
    if (setpgid(0, group) != 0)
        setpgid(0, 0);
    for (size_t k = 0; k < sizeof stop_signals / sizeof *stop_signals; k++)
        signal(stop_signals[k], SIG_DFL);
#ifdef __linux__
    /* A batch that is killed stops: no worker goes on writing outputs. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(0);
#endif
    if (opt->max_memory_mb > 0) {
        /* RLIMIT_DATA, not RLIMIT_AS: PoCL and the sanitizers reserve far
         * more address space than they use. */
        rlim_t cap = (rlim_t)opt->max_memory_mb * 1024 * 1024;
        struct rlimit rl = {cap, cap};
        setrlimit(RLIMIT_DATA, &rl);
    }
    worker_cache_dir(w);
    worker_main(sh, w, n, opt);
    fflush(NULL);
    _exit(0); /* no atexit handlers of the parent's */
}

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGABRT: return "SIGABRT";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGXCPU: return "SIGXCPU";
    default: return "a signal";
    }
}

/* Worker `w` has ended with `status`: the input it was on (if it had not
 * finished it) fails with the reason. Returns 1 when it was on one. */
static int worker_ended(batch_shared *sh, size_t w, int status, size_t n,
                        double stall_s)
{
    batch_worker *bw = &sh->workers[w];
    size_t cur = atomic_exchange(&bw->current, NO_INPUT);
    size_t i = cur & ~STOPPED_BIT;
    if (cur == NO_INPUT || i >= n)
        return 0;
    batch_row *r = &sh->rows[i];
    if (r->status) /* it finished that one just before it ended */
        return 1;
    r->status = "failed";
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    if (cur & STOPPED_BIT)
        snprintf(r->reason, sizeof r->reason,
                 "%s: no progress for %.0f s, stopped (the file may be "
                 "corrupt; --timeout sets the limit)", r->input, stall_s);
    else if (sig == SIGKILL)
        snprintf(r->reason, sizeof r->reason,
                 "%s: processing was killed (signal %d, SIGKILL; out of "
                 "memory?)", r->input, sig);
    else if (sig)
        snprintf(r->reason, sizeof r->reason,
                 "%s: processing crashed (signal %d, %s); the file is "
                 "probably corrupt", r->input, sig, signal_name(sig));
    else
        snprintf(r->reason, sizeof r->reason,
                 "%s: processing ended without a result (its batch worker "
                 "exited with status %d); the file is probably corrupt",
                 r->input, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    r->wall_s = (double)(now_ns() - atomic_load(&bw->taken_ns)) * 1e-9;
    report_row(sh);
    return 1;
}

/* Stop (SIGKILL) every worker that has shown no progress on its input for
 * stall_s. The mark goes into `current` first, by compare-and-swap, so a
 * worker that has just finished that input is never blamed for it. */
static void stop_stalled(batch_shared *sh, const pid_t *pids, size_t jobs,
                         double stall_s)
{
    long long now = now_ns(), limit = (long long)(stall_s * 1e9);
    for (size_t w = 0; w < jobs; w++) {
        batch_worker *bw = &sh->workers[w];
        size_t cur = atomic_load(&bw->current);
        if (pids[w] <= 0 || cur == NO_INPUT || (cur & STOPPED_BIT) ||
            now - atomic_load(&bw->beat_ns) < limit)
            continue;
        if (atomic_compare_exchange_strong(&bw->current, &cur,
                                           cur | STOPPED_BIT))
            kill(pids[w], SIGKILL);
    }
}

/* Finished rows not yet printed, in input order as far as they go. */
static void print_finished(batch_shared *sh, size_t n, unsigned char *shown,
                           size_t *first, ms_batch_progress *pr)
{
    size_t upto = atomic_load(&sh->next);
    if (upto > n)
        upto = n;
    while (*first < n && shown[*first])
        (*first)++;
    for (size_t i = *first; i < upto; i++) {
        batch_row *r = &sh->rows[i];
        if (shown[i] || !r->status)
            continue;
        atomic_thread_fence(memory_order_acquire);
        shown[i] = 1;
        ms_progress_row(pr, r->status, r->input, r->reason, r->wall_s);
    }
}

/* Kill every worker (their group, and each one in case one left it) and
 * reap them. */
static void kill_workers(pid_t *pids, size_t jobs, pid_t pgid)
{
    if (pgid > 0)
        kill(-pgid, SIGKILL);
    for (size_t w = 0; w < jobs; w++)
        if (pids[w] > 0) {
            kill(pids[w], SIGKILL);
            while (waitpid(pids[w], NULL, 0) < 0 && errno == EINTR)
                ;
            pids[w] = 0;
        }
}

/* Run the workers until every input is taken and every worker has ended,
 * replacing those that die while inputs are left. Returns the errno of
 * the last fork that failed, 0 if none. */
static int run_workers(batch_shared *sh, size_t n, size_t jobs,
                       const ms_batch_options *opt, ms_batch_progress *pr)
{
    double stall_s = opt->timeout_s > 0 ? opt->timeout_s
                                        : MS_BATCH_DEFAULT_STALL_S;
    pid_t pids[MAX_WORKERS] = {0};
    pid_t pgid = 0;
    size_t live = 0;
    int fork_errno = 0;
    unsigned idle_deaths = 0;
    unsigned char *shown = calloc(n ? n : 1, 1);
    size_t first = 0;
    if (!shown)
        return ENOMEM;
    for (size_t w = 0; w < jobs; w++) {
        pids[w] = start_worker(sh, w, n, opt, &pgid);
        if (pids[w] > 0)
            live++;
        else
            fork_errno = errno;
    }
    /* Poll often enough that the end of the batch and a stall are seen at
     * once, and never longer than a tenth of the stall limit. */
    long poll_ns = stall_s < 0.1 ? (long)(stall_s * 1e8) : 10000000L;
    while (live > 0) {
        if (stop_requested) {
            kill_workers(pids, jobs, pgid);
            break;
        }
        int status = 0;
        pid_t p = waitpid(-1, &status, WNOHANG);
        if (p < 0 && errno == EINTR)
            continue;
        if (p < 0)
            break; /* no child left (never: live counts them) */
        if (p == 0) {
            stop_stalled(sh, pids, jobs, stall_s);
            print_finished(sh, n, shown, &first, pr);
            ms_progress_tick(pr);
            struct timespec ts = {0, poll_ns > 0 ? poll_ns : 1000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        size_t w = 0;
        while (w < jobs && pids[w] != p)
            w++;
        if (w == jobs)
            continue; /* not a worker */
        pids[w] = 0;
        live--;
        int on_input = worker_ended(sh, w, status, n, stall_s);
        if (!on_input && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
            idle_deaths++;
        /* A worker that ended while inputs are left (it died, or retired
         * after an invalid file): a fresh one, with a fresh runner. */
        if (atomic_load(&sh->next) < n && idle_deaths <= MAX_IDLE_DEATHS &&
            !stop_requested) {
            ms_progress_note(pr, "starting a fresh batch worker (the last "
                             "one %s)", on_input ? "failed on its input"
                                                 : "retired");
            pids[w] = start_worker(sh, w, n, opt, &pgid);
            if (pids[w] > 0)
                live++;
            else
                fork_errno = errno;
        }
    }
    print_finished(sh, n, shown, &first, pr);
    free(shown);
    return fork_errno;
}

int ms_batch_process(const char *const *inputs, const char *const *names,
                     size_t n, const char *outdir, const ms_batch_options *opt,
                     ms_batch_row *rows, int *stopped_by)
{
    *stopped_by = 0;
    /* Shared memory, so that the workers (fork) fill the same rows. */
    size_t bytes = sizeof(batch_shared) + (n ? n : 1) * sizeof(batch_row);
    batch_shared *sh = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        return ms_fail(MS_ERR_NOMEM, "out of memory");
    atomic_init(&sh->next, 0);
    atomic_init(&sh->done, 0);
    for (size_t w = 0; w < MAX_WORKERS; w++) {
        atomic_init(&sh->workers[w].current, NO_INPUT);
        atomic_init(&sh->workers[w].taken_ns, 0);
        atomic_init(&sh->workers[w].beat_ns, 0);
    }
    for (size_t i = 0; i < n; i++) {
        batch_row *r = &sh->rows[i];
        r->input = inputs[i];
        snprintf(r->output_dir, sizeof r->output_dir, "%s/%s", outdir,
                 names[i]);
        r->n_alarms = -1;
        r->pd = r->far = NAN;
    }
    size_t jobs = opt->jobs > 1 ? (size_t)opt->jobs : 1;
    if (jobs > MAX_WORKERS)
        jobs = MAX_WORKERS;
    if (jobs > n)
        jobs = n;
    ms_batch_progress pr;
    ms_progress_init(&pr, n, opt->quiet, opt->verbose);
    /* A signal stops the workers first; the rows done so far are kept. */
    struct sigaction old[3], sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    stop_requested = 0;
    for (size_t k = 0; k < 3; k++)
        sigaction(stop_signals[k], &sa, &old[k]);
    /* Even one job runs in a worker: the parent never opens OpenCL, and a
     * crash takes the worker, not the batch. */
    int fork_errno = jobs ? run_workers(sh, n, jobs, opt, &pr) : 0;
    for (size_t k = 0; k < 3; k++)
        sigaction(stop_signals[k], &old[k], NULL);
    *stopped_by = stop_requested;
    for (size_t i = 0; i < n; i++) {
        batch_row *r = &sh->rows[i];
        if (r->status)
            continue;
        /* never taken, its worker vanished, or the batch was stopped */
        r->status = "failed";
        if (*stopped_by)
            snprintf(r->reason, sizeof r->reason,
                     "%s: not processed: the batch was stopped by signal %d "
                     "(%s)", r->input, *stopped_by, strsignal(*stopped_by));
        else if (fork_errno)
            snprintf(r->reason, sizeof r->reason,
                     "%s: not processed: cannot start a batch worker "
                     "process: %s", r->input, strerror(fork_errno));
        else
            snprintf(r->reason, sizeof r->reason,
                     "%s: the batch worker processing it ended early",
                     r->input);
        if (!*stopped_by)
            ms_progress_row(&pr, r->status, r->input, r->reason, 0);
    }
    ms_progress_end(&pr);
    memcpy(rows, sh->rows, n * sizeof *rows);
    munmap(sh, bytes);
    return 0;
}

int ms_batch_run(const char *const *inputs, size_t n_inputs,
                 const char *outdir, const ms_batch_options *opt,
                 ms_batch_totals *totals)
{
    memset(totals, 0, sizeof *totals);
    int lock = -1;
    int rc = ms_batch_lock(outdir, &lock);
    if (rc)
        return rc;
    size_t n = n_inputs ? n_inputs : 1;
    char (*names)[256] = calloc(n, sizeof *names);
    size_t *order = calloc(n, sizeof *order);
    const char **sel = calloc(n, sizeof *sel);
    const char **sel_names = calloc(n, sizeof *sel_names);
    ms_batch_row *rows = calloc(n, sizeof *rows);
    if (!names || !order || !sel || !sel_names || !rows)
        rc = ms_fail(MS_ERR_NOMEM, "out of memory");
    /* A shard names its folders as the whole batch would, from the list
     * sorted by path, so that the shards' folders never clash. */
    unsigned count = opt->shard_count > 1 ? opt->shard_count : 1;
    unsigned index = count > 1 ? opt->shard_index : 1;
    const char **sorted = NULL;
    size_t m = 0;
    if (!rc) {
        if (count > 1) {
            ms_shard_order(inputs, n_inputs, order);
            sorted = calloc(n, sizeof *sorted);
            if (!sorted)
                rc = ms_fail(MS_ERR_NOMEM, "out of memory");
            for (size_t i = 0; !rc && i < n_inputs; i++)
                sorted[i] = inputs[order[i]];
        }
        if (!rc)
            rc = ms_inputs_output_names(sorted ? sorted : inputs, n_inputs,
                                        names);
        for (size_t i = index - 1; !rc && i < n_inputs; i += count) {
            sel[m] = (sorted ? sorted : inputs)[i];
            sel_names[m++] = names[i];
        }
    }
    int stopped = 0;
    if (!rc)
        rc = ms_batch_process(sel, sel_names, m, outdir, opt, rows, &stopped);
    if (!rc) {
        for (size_t i = 0; i < m; i++) {
            if (!strcmp(rows[i].status, "failed"))
                totals->failed++;
            else if (!strcmp(rows[i].status, "skipped"))
                totals->skipped++;
            else
                totals->ok++;
        }
        totals->stopped_by = stopped;
        json_t *extra = NULL;
        if (count > 1)
            extra = json_pack("{s:{s:I, s:I, s:I}}", "shard", "index",
                              (json_int_t)index, "count", (json_int_t)count,
                              "inputs_all_shards", (json_int_t)n_inputs);
        rc = ms_batch_write_reports(outdir, rows, m, extra);
    }
    free(sorted);
    free(names);
    free(order);
    free(sel);
    free(sel_names);
    free(rows);
    ms_batch_unlock(lock);
    return rc;
}
