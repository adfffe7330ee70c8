#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# build.sh OVERLAY [CC]: compile the in-guest test helpers, statically
# linked so that one binary runs in the bookworm and the trixie guests, into
# OVERLAY/usr/bin (on the guest's PATH).  Rebuilt only when a source changed.
# CC: the compiler (default gcc); aarch64-linux-gnu-gcc for the arm64 guests.
set -euo pipefail
. "$(dirname "$0")/../../devel/lib.sh"

ov=${1:?usage: build.sh OVERLAY [CC]}
cc=${2:-gcc}
mkdir -p "$ov/usr/bin"
for src in "$KMM_TOP"/tests/helpers/*.c; do
	bin=$ov/usr/bin/$(basename "$src" .c)
	[ "$bin" -nt "$src" ] && continue
	"$cc" -O2 -static -Wall -Wextra -Werror -o "$bin.tmp" "$src" ||
		kmm_die "cannot build $src"
	mv "$bin.tmp" "$bin"
done
