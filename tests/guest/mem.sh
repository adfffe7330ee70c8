# SPDX-License-Identifier: GPL-2.0-only
#
# In-guest memory accounting for kmem_mom's scenarios.  Sourced after
# /kmm/lib.sh.  Sizes in kB unless the name says pages.

# Let the numbers settle: drop clean caches so page cache churn from the
# tools we run does not pass for memmap.
settle() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	sleep 0.2
}

# DRAM really free on node N: MemFree plus the pages parked on per-cpu free
# lists, which MemFree does not count and which hot-add drains.
dram_free_kb() {
	local free pcp
	free=$(awk '$3 == "MemFree:" {print $4}' "/sys/devices/system/node/node$1/meminfo")
	pcp=$(awk -v n="$1" '
		$1 == "Node" { cur = ($2 == n",") }
		cur && $1 == "count:" { s += $2 }
		END { print s + 0 }' /proc/zoneinfo)
	echo $((free + pcp * 4))
}

node_meminfo_kb() { # node_meminfo_kb NODE FIELD
	awk -v k="$2:" '$3 == k {print $4}' "/sys/devices/system/node/node$1/meminfo" 2>/dev/null ||
		echo 0
}

# present - managed over node N's zones: pages the node owns but cannot
# hand out, i.e. a memmap living on the node's own memory.
node_unmanaged_pages() {
	awk -v n="$1" '
		$1 == "Node" { cur = ($2 == n",") }
		cur && $1 == "present" { p += $2 }
		cur && $1 == "managed" { m += $2 }
		END { print p - m }' /proc/zoneinfo
}

# /proc/vmstat nr_memmap_pages (6.10+; counts memmap wherever it lives), or
# "" where the kernel does not have it.
memmap_pages() { awk '$1 == "nr_memmap_pages" {print $2}' /proc/vmstat; }

# within DESC VALUE LOW HIGH: LOW <= VALUE <= HIGH.
within() {
	if [ "$2" -ge "$3" ] && [ "$2" -le "$4" ]; then
		ok "$1 ($2)"
	else
		not_ok "$1" "got $2, want $3..$4"
	fi
}

# dmesg_count REGEX: lines of the kernel log since the last dmesg_mark.
dmesg_mark() { dmesg | wc -l >/tmp/dmesg.mark; }
dmesg_since() { dmesg | tail -n +$(($(cat /tmp/dmesg.mark 2>/dev/null || echo 0) + 1)); }
dmesg_count() { dmesg_since | grep -cE "$1" || true; }

# The attribute directory kmem_mom gives a bound device.
mom_attr() { cat "/sys/bus/dax/devices/$1/kmem_mom/$2"; }

# Expected memmap bytes for BLOCKS blocks of this guest's block size.
memmap_bytes() { echo $(($1 * $(memblock_bytes) / 4096 * 64)); }
