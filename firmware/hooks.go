package firmware

import (
	"context"

	"rtspcam/firmware/config"
	"rtspcam/firmware/notify"
	"rtspcam/rtsp"
)

// The App answers the rtsp server's hooks with the <http_notify> hooks.
var _ rtsp.Hooks = (*App)(nil)

// newNotifier builds the hook client of cfg, nil when hooks are off.
func newNotifier(cfg *config.Config) (*notify.Client, error) {
	h := cfg.HTTPNotify
	if !h.Enable || h.OnConnect == "" && h.OnPlay == "" && h.OnPublish == "" && h.OnDone == "" {
		return nil, nil
	}
	return notify.New(notify.Config{
		OnConnect: h.OnConnect, OnPlay: h.OnPlay, OnPublish: h.OnPublish, OnDone: h.OnDone,
		Method: h.Method, Timeout: h.Timeout,
	})
}

// setNotifier puts n in force; the client it replaces finishes its calls
// in flight in the background.
func (a *App) setNotifier(n *notify.Client) {
	if old := a.notifier.Swap(n); old != nil {
		go old.Close()
	}
}

func notifyEvent(ev *rtsp.HookEvent) notify.Event {
	return notify.Event{Addr: ev.RemoteAddr, URL: ev.URL, Name: ev.Path, ClientID: ev.ClientID}
}

// AllowConnect asks on_connect (rtsp.Hooks).
func (a *App) AllowConnect(ctx context.Context, ev *rtsp.HookEvent) error {
	if n := a.notifier.Load(); n != nil {
		return n.Connect(ctx, notifyEvent(ev))
	}
	return nil
}

// AllowPlay asks on_play (rtsp.Hooks).
func (a *App) AllowPlay(ctx context.Context, ev *rtsp.HookEvent) error {
	if n := a.notifier.Load(); n != nil {
		return n.Play(ctx, notifyEvent(ev))
	}
	return nil
}

// AllowPublish asks on_publish (rtsp.Hooks).
func (a *App) AllowPublish(ctx context.Context, ev *rtsp.HookEvent) error {
	if n := a.notifier.Load(); n != nil {
		return n.Publish(ctx, notifyEvent(ev))
	}
	return nil
}

// Done tells on_done (rtsp.Hooks).
func (a *App) Done(ev *rtsp.HookEvent) {
	if n := a.notifier.Load(); n != nil {
		n.Done(notifyEvent(ev))
	}
}
