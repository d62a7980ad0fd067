package engine

// bitsetFilter drops the rows set in bm.
func bitsetFilter(bm []uint64) filter {
	return func(sel []int32) []int32 {
		out := sel[:0]
		for _, i := range sel {
			if bm[i>>6]&(1<<(i&63)) == 0 {
				out = append(out, i)
			}
		}
		return out
	}
}
