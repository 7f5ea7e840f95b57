/* A pseudo-terminal driver for the REPL specs (built by the suite: spec/support/pty.lua).
 *   pty [-r ROWS] [-c COLS] [-t SECONDS] STEPS -- CMD [ARGS...]
 * Runs CMD with a new terminal as its stdin, stdout and stderr (its controlling
 * terminal), ROWS x COLS (24 x 80), and follows the STEPS file, one step a line:
 *   expect TEXT   wait until the output since the last match contains TEXT
 *   send TEXT     type TEXT
 *   # ...         a comment; empty lines are ignored
 * TEXT takes the escapes \n \r \t \e \\ and \xHH (\x03 is Ctrl-C, \x04 Ctrl-D).
 * After the last step it waits for CMD to end. Everything CMD writes is copied to
 * stdout. Exit status: CMD's (128+N for signal N), or 124 when a step or the end did
 * not come within SECONDS (default 30) of the previous one. On stderr: why it failed,
 * and one line for each terminal state CMD left behind (non-blocking mode, no echo,
 * no canonical mode), which a well-behaved program restores before it ends. */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_OUT (16u << 20)

static char *out;          /* everything read so far */
static size_t out_len, mark; /* mark: where the next expect starts searching */
static int master = -1;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads what the terminal has, waiting up to ms: 1 when something came, 0 when
 * nothing did, -1 at the end (EIO/EOF: nobody has the terminal open any more). */
static int pump(int ms) {
    struct pollfd p = {.fd = master, .events = POLLIN};
    int r = poll(&p, 1, ms);
    if (r <= 0) return 0;
    char buf[65536];
    ssize_t n = read(master, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 0;
    if (n <= 0) return -1;
    if (out_len + (size_t)n > MAX_OUT) {
        fputs("pty: more output than the driver keeps\n", stderr);
        return -1;
    }
    memcpy(out + out_len, buf, (size_t)n);
    out_len += (size_t)n;
    fwrite(buf, 1, (size_t)n, stdout);
    return 1;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes the escapes of s in place; returns the length. */
static size_t unescape(char *s) {
    size_t j = 0;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] != '\\' || !s[i + 1]) {
            s[j++] = s[i];
            continue;
        }
        char c = s[++i];
        if (c == 'n') s[j++] = '\n';
        else if (c == 'r') s[j++] = '\r';
        else if (c == 't') s[j++] = '\t';
        else if (c == 'e') s[j++] = '\033';
        else if (c == 'x' && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            s[j++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else s[j++] = c;
    }
    return j;
}

static char *find(const char *hay, size_t hlen, const char *needle, size_t nlen) {
    if (nlen == 0) return (char *)hay;
    for (size_t i = 0; i + nlen <= hlen; i++)
        if (memcmp(hay + i, needle, nlen) == 0) return (char *)hay + i;
    return NULL;
}

static void show_text(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 32 && c < 127) fputc(c, stderr);
        else fprintf(stderr, "\\x%02x", c);
    }
}

int main(int argc, char **argv) {
    int rows = 24, cols = 80, opt;
    double limit = 30;
    while ((opt = getopt(argc, argv, "+r:c:t:")) != -1) {
        if (opt == 'r') rows = atoi(optarg);
        else if (opt == 'c') cols = atoi(optarg);
        else if (opt == 't') limit = atof(optarg);
        else return 2;
    }
    if (argc - optind < 3 || strcmp(argv[optind + 1], "--") != 0) {
        fputs("usage: pty [-r ROWS] [-c COLS] [-t SECONDS] STEPS -- CMD [ARGS...]\n", stderr);
        return 2;
    }
    FILE *steps = fopen(argv[optind], "r");
    if (!steps) {
        perror("pty: steps");
        return 2;
    }
    out = malloc(MAX_OUT);
    master = posix_openpt(O_RDWR | O_NOCTTY);
    if (!out || master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
        perror("pty: openpt");
        return 2;
    }
    const char *name = ptsname(master);
    int slave = name ? open(name, O_RDWR | O_NOCTTY) : -1;
    if (slave < 0) {
        perror("pty: slave");
        return 2;
    }
    struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
    ioctl(slave, TIOCSWINSZ, &ws);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("pty: fork");
        return 2;
    }
    if (pid == 0) {
        setsid();
        ioctl(slave, TIOCSCTTY, 0);
        dup2(slave, 0);
        dup2(slave, 1);
        dup2(slave, 2);
        if (slave > 2) close(slave);
        close(master);
        execvp(argv[optind + 2], argv + optind + 2);
        perror("pty: exec");
        _exit(127);
    }
    /* The driver keeps its own descriptor of the child's terminal (the same open file
     * description as the child's 0, 1 and 2): it reads the state the child leaves. */
    signal(SIGPIPE, SIG_IGN);
    int status = -1, timed_out = 0;
    char line[8192];
    while (!timed_out && fgets(line, sizeof line, steps)) {
        size_t l = strlen(line);
        if (l && line[l - 1] == '\n') line[--l] = '\0';
        if (l == 0 || line[0] == '#') continue;
        if (strncmp(line, "send ", 5) == 0) {
            size_t n = unescape(line + 5);
            if (write(master, line + 5, n) != (ssize_t)n) perror("pty: send");
        } else if (strncmp(line, "expect ", 7) == 0) {
            size_t n = unescape(line + 7);
            double end = now() + limit;
            char *at;
            while (!(at = find(out + mark, out_len - mark, line + 7, n))) {
                if (now() > end || pump(100) < 0) {
                    fputs("pty: did not see '", stderr);
                    show_text(line + 7, n);
                    fputs("' in: '", stderr);
                    size_t from = out_len - mark > 2000 ? out_len - 2000 : mark;
                    show_text(out + from, out_len - from);
                    fputs("'\n", stderr);
                    timed_out = 1;
                    break;
                }
            }
            if (at) mark = (size_t)(at - out) + n;
        } else {
            fprintf(stderr, "pty: unknown step '%s'\n", line);
            timed_out = 1;
        }
    }
    double end = now() + limit;
    while (!timed_out) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) break;
        if (now() > end) {
            fputs("pty: the command did not end\n", stderr);
            timed_out = 1;
            break;
        }
        pump(50);
    }
    if (timed_out) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    } else {
        int fl = fcntl(slave, F_GETFL);
        if (fl >= 0 && (fl & O_NONBLOCK)) fputs("pty: left the terminal in non-blocking mode\n", stderr);
        struct termios t;
        if (tcgetattr(slave, &t) == 0) {
            if (!(t.c_lflag & ECHO)) fputs("pty: left the terminal without echo\n", stderr);
            if (!(t.c_lflag & ICANON)) fputs("pty: left the terminal without canonical mode\n", stderr);
        }
    }
    close(slave);
    while (!timed_out && pump(2000) > 0) {
    }
    fflush(stdout);
    if (timed_out) return 124;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
}
