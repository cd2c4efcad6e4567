#!/usr/bin/python3
"""GStreamer's RTSP server (gst-rtsp-server) with one shared media factory:
the peer rtspcam is measured against by bench/run.sh.

usage: gst_server.py PORT PATH LAUNCH
"""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    port, path, launch = sys.argv[1:]
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_service(port)
    # The default backlog of 5 makes simultaneous connects stall in the
    # kernel's accept queue; Go listens with the system maximum.
    server.set_backlog(4096)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch)
    # One pipeline for every reader, as rtspcam shares its live sources.
    factory.set_shared(True)
    server.get_mount_points().add_factory(path, factory)
    if server.attach(None) == 0:
        sys.exit("gst_server: cannot listen on port " + port)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
