// Package churn holds the publish churn test (issue 3): 20 publishers and
// 200 readers coming and going for a minute against a server started
// in-process, alone in its own test binary so that the goroutine, fd and
// UDP socket counts it checks are the server's and nobody else's.
package churn
