//go:build !unix

package ingest_test

import "time"

// processCPU is unknown here: the benchmarks report wall-clock rows/s only.
func processCPU() time.Duration { return 0 }
