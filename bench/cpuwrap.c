/* Wraps one program: runs it, then appends "NAME SUBCOMMAND user_s sys_s" (its rusage, children included) to LOG. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  pid_t pid = fork();
  if (pid < 0) return 126;
  if (pid == 0) {
    argv[0] = REAL;
    execv(REAL, argv);
    _exit(127);
  }
  int status = 0;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) < 0) return 126;
  FILE *log = fopen(LOG, "a");
  if (log) {
    const char *sub = argc > 1 && argv[1][0] != '-' ? argv[1] : "-";
    fprintf(log, "%s %s %ld.%06ld %ld.%06ld\n", NAME, sub, (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec, (long)ru.ru_stime.tv_sec,
            (long)ru.ru_stime.tv_usec);
    fclose(log);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
