// Package payloadtest holds test helpers shared by the payload packages'
// tests: driving ffmpeg and ffprobe as the real RTP sender and receiver over
// loopback UDP, and encoding the test clips they use. A missing ffmpeg or
// ffprobe fails the test rather than skipping it: these are the tests that
// matter.
package payloadtest
