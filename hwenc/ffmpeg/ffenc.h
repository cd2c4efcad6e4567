//go:build ffmpeg && cgo

// C side of package ffmpeg: small wrappers that keep libavcodec's macros,
// option strings and pointer arrays out of the Go files.
#ifndef RTSPCAM_FFENC_H
#define RTSPCAM_FFENC_H

#include <stdint.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/channel_layout.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>

enum {
	FF_EAGAIN = AVERROR(EAGAIN),
	FF_EOF = AVERROR_EOF,
};

void ff_quiet(void);
int ff_video_encoder_open(AVCodecContext **out, const char *name, int w, int h,
	int fps_num, int fps_den, int64_t bitrate, int gop, int threads);
int ff_decoder_open(AVCodecContext **out, int codec_id, const uint8_t *extra, int extra_size,
	int sample_rate, int channels);
int ff_audio_encoder_open(AVCodecContext **out, const char *name, int sample_rate, int channels,
	int64_t bitrate);
int ff_frame_video(AVFrame **out, int fmt, int w, int h);
int ff_frame_audio(AVFrame **out, AVCodecContext *ctx);
int ff_scale_to_frame(struct SwsContext **sws, int src_fmt, int sw, int sh,
	const uint8_t *p0, int s0, const uint8_t *p1, int s1, const uint8_t *p2, int s2,
	AVFrame *dst);
int ff_frame_to_planes(struct SwsContext **sws, const AVFrame *src, int dst_fmt, int dw, int dh,
	uint8_t *p0, int s0, uint8_t *p1, int s1, uint8_t *p2, int s2);
int ff_send_video(AVCodecContext *ctx, AVFrame *f, int64_t pts, int key);
int ff_audio_fill(AVFrame *f, const int16_t *pcm, int nb_samples);
int ff_audio_to_s16(const AVFrame *f, int16_t *dst);
int ff_send_bytes(AVCodecContext *ctx, AVPacket *pkt, uint8_t **buf, int *cap,
	const uint8_t *data, int size);
int ff_frame_channels(const AVFrame *f);

#endif
