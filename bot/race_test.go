//go:build race

package bot

// raceEnabled is true under the race detector, which makes index builds
// and the fake Discord about ten times slower: long tests scale down.
const raceEnabled = true
