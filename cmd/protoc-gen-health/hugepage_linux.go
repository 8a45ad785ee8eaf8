package main

import (
	"syscall"
	"unsafe"
)

// hugePageSize is the size of a transparent huge page on Linux.
const hugePageSize = 2 << 20

// madvHugepage is MADV_HUGEPAGE, which the syscall package does not name
// (14 on every Linux architecture).
const madvHugepage = 14

// adviseHugePages maps n bytes of Go heap, marks them MADV_HUGEPAGE and
// drops them. The runtime reuses the address range for the allocations
// that follow, and the advice stays with the range, so where transparent
// huge pages are in madvise mode (as on this project's VM) the heap's
// fresh memory is faulted in 2 MiB at a time instead of 4 KiB: on a
// googleapis-sized request the kernel's page faults were most of the time
// spent reading it (docs/performance.md). The slice is fresh from the OS,
// which the runtime knows to be zero and does not touch, so it costs no
// memory; if the advice fails, the heap keeps 4 KiB pages, slower and as
// right. Only main calls it, once: the tests' runs of the plugin
// in-process keep the ordinary heap.
func adviseHugePages(n int) {
	if ^uint(0)>>32 == 0 {
		// A 32-bit address space has no room to spare for the range.
		return
	}
	b := make([]byte, n)
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	start := 0
	if off := int(p % hugePageSize); off != 0 {
		start = hugePageSize - off
	}
	end := start + (n-start)/hugePageSize*hugePageSize
	_ = syscall.Madvise(b[start:end], madvHugepage)
}
