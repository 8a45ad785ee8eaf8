//go:build !linux

package main

// adviseHugePages does nothing outside Linux (see hugepage_linux.go).
func adviseHugePages(int) {}
