//go:build race

package main

// raceSlowdown scales time bounds under the race detector, which slows this
// code by up to ten times.
const raceSlowdown = 10
