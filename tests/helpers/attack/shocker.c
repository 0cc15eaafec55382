/* "Shocker", freestanding (-nostdlib, a few hundred bytes): opens a host file by its handle (HANDLE_TYPE and
   HANDLE_BYTES, given at build time) through the container's /etc/hostname bind mount and prints it. Prints
   "handle refused: errno N" when open_by_handle_at fails (EPERM is 1). */
#if defined(__x86_64__)
#define SYS_read 0
#define SYS_write 1
#define SYS_openat 257
#define SYS_exit 60
#define SYS_open_by_handle_at 304
static long sys3(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}
#elif defined(__aarch64__)
#define SYS_read 63
#define SYS_write 64
#define SYS_openat 56
#define SYS_exit 93
#define SYS_open_by_handle_at 265
static long sys3(long n, long a, long b, long c) {
  register long x8 __asm__("x8") = n, x0 __asm__("x0") = a, x1 __asm__("x1") = b, x2 __asm__("x2") = c;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
  return x0;
}
#endif

static struct {
  unsigned int bytes;
  int type;
  unsigned char h[sizeof((unsigned char[])HANDLE_BYTES)];
} fh = {sizeof((unsigned char[])HANDLE_BYTES), HANDLE_TYPE, HANDLE_BYTES};

static void say(const char *s, long n) { sys3(SYS_write, 1, (long)s, n); }

void _start(void) {
  static char buf[4096];
  long mount = sys3(SYS_openat, -100, (long)"/etc/hostname", 0);
  long fd = sys3(SYS_open_by_handle_at, mount, (long)&fh, 0);
  if (fd < 0) {
    char msg[] = "handle refused: errno 000\n";
    long e = -fd;
    msg[22] = '0' + (e / 100) % 10;
    msg[23] = '0' + (e / 10) % 10;
    msg[24] = '0' + e % 10;
    say(msg, sizeof msg - 1);
    sys3(SYS_exit, 3, 0, 0);
  }
  long n = sys3(SYS_read, fd, (long)buf, sizeof buf);
  if (n > 0) say(buf, n);
  sys3(SYS_exit, 0, 0, 0);
}
