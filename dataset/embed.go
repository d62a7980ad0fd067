// Package dataset holds Plotline's curated reference data (the Islamic State
// organisation graph and its external operations, each fact with a public
// source) as reviewed YAML files, embeds them in the binary, and parses and
// checks them. FORMAT.md documents the format; GAPS.md what is left out.
package dataset

import "embed"

// Files is the curated dataset as shipped in the binary.
//
//go:embed organisation.yaml incidents/*.yaml
var Files embed.FS
