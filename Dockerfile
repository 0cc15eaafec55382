# The online path to the shell sandbox image (`sekft sandbox build`); `sekft sandbox build --offline` makes the
# same layout with no registry: dash as /bin/sh, busybox applets, user op (uid 1000), a read-only-friendly root.
FROM debian:12-slim AS rootfs
RUN apt-get update && apt-get install -y --no-install-recommends busybox-static && rm -rf /var/lib/apt/lists/*
RUN set -eu; r=/rootfs; \
    mkdir -p $r/bin $r/etc $r/lib $r/lib64 $r/usr/bin $r/usr/share/man/man1 $r/usr/local $r/var $r/run/sekft \
             $r/proc $r/sys $r/dev $r/home/op $r/root $r/tmp; \
    cp /usr/bin/dash $r/bin/sh; ln -s sh $r/bin/dash; cp /bin/busybox $r/bin/busybox; \
    for lib in $(ldd /usr/bin/dash | grep -o '/[^ ]*'); do mkdir -p $r$(dirname $lib); cp -L $lib $r$lib; done; \
    for a in $(/bin/busybox --list); do case $a in sh|ash|hush|busybox|linuxrc|init|man) ;; *) ln -s busybox $r/bin/$a;; esac; done; \
    printf 'root:x:0:0:root:/root:/bin/sh\nop:x:1000:1000:operator:/home/op:/bin/sh\n' > $r/etc/passwd; \
    printf 'root:x:0:\nop:x:1000:\n' > $r/etc/group; echo sandbox > $r/etc/hostname; \
    ln -s /var/run/motd $r/etc/motd; \
    printf '#!/bin/sh\n[ $# -ge 1 ] || { echo "What manual page do you want?" >&2; exit 1; }\nsec="?"\nif [ $# -ge 2 ]; then sec=$1; shift; fi\nfor dir in /usr/local/share/man /usr/share/man; do for page in "$dir"/man$sec/"$1".$sec; do if [ -f "$page" ]; then cat "$page"; exit 0; fi; done; done\necho "No manual entry for $1" >&2\nexit 16\n' > $r/usr/bin/man; \
    chmod 755 $r/usr/bin/man; chmod 1777 $r/tmp; chmod 700 $r/root; chown 1000:1000 $r/home/op $r/run/sekft; chmod 700 $r/run/sekft

FROM scratch
COPY --from=rootfs /rootfs/ /
LABEL sekft=1
ENV PATH=/usr/local/bin:/usr/bin:/bin HOME=/home/op
WORKDIR /home/op
USER 1000:1000
CMD ["/bin/sh"]
