package testenv

import (
	"net"
	"strconv"
)

func splitAddr(tb TB, addr string) (string, int) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		tb.Fatal(err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		tb.Fatal(err)
	}
	return host, port
}
