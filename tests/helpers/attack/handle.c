/* Prints the file handle of a host file as "TYPE HEX" (name_to_handle_at): what an exploit needs to open it
   by handle from inside a container, through any bind mount of the same filesystem. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  struct file_handle *h = malloc(sizeof *h + MAX_HANDLE_SZ);
  int mount_id;
  h->handle_bytes = MAX_HANDLE_SZ;
  if (argc != 2 || name_to_handle_at(AT_FDCWD, argv[1], h, &mount_id, 0) != 0) {
    perror("name_to_handle_at");
    return 1;
  }
  printf("%d ", h->handle_type);
  for (unsigned i = 0; i < h->handle_bytes; i++) printf("%02x", h->f_handle[i]);
  printf("\n");
  return 0;
}
