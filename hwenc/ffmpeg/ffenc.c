//go:build ffmpeg && cgo

#include <string.h>
#include "ffenc.h"

void ff_quiet(void) { av_log_set_level(AV_LOG_QUIET); }

int ff_video_encoder_open(AVCodecContext **out, const char *name, int w, int h,
	int fps_num, int fps_den, int64_t bitrate, int gop, int threads)
{
	const AVCodec *codec = avcodec_find_encoder_by_name(name);
	if (!codec)
		return AVERROR_ENCODER_NOT_FOUND;
	AVCodecContext *c = avcodec_alloc_context3(codec);
	if (!c)
		return AVERROR(ENOMEM);
	c->width = w;
	c->height = h;
	c->time_base = (AVRational){1, 90000};
	c->framerate = (AVRational){fps_num, fps_den};
	c->gop_size = gop;
	c->max_b_frames = 0;
	c->thread_count = threads;
	c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
	c->pix_fmt = AV_PIX_FMT_YUV420P;
	if (bitrate > 0) {
		c->bit_rate = bitrate;
		c->rc_max_rate = bitrate;
		c->rc_buffer_size = (int)(bitrate); /* one second of data */
	}
	if (strcmp(name, "libx264") == 0) {
		av_opt_set(c->priv_data, "preset", "ultrafast", 0);
		av_opt_set(c->priv_data, "tune", "zerolatency", 0);
		av_opt_set_int(c->priv_data, "forced-idr", 1, 0);
	} else if (strcmp(name, "libx265") == 0) {
		av_opt_set(c->priv_data, "preset", "ultrafast", 0);
		av_opt_set(c->priv_data, "tune", "zerolatency", 0);
		av_opt_set_int(c->priv_data, "forced-idr", 1, 0);
		av_opt_set(c->priv_data, "x265-params", "log-level=none", 0);
	} else if (strcmp(name, "mjpeg") == 0) {
		/* RFC 2435 receivers know only the standard Huffman tables. */
		c->pix_fmt = AV_PIX_FMT_YUVJ420P;
		av_opt_set(c->priv_data, "huffman", "default", 0);
		if (bitrate <= 0) {
			c->flags |= AV_CODEC_FLAG_QSCALE;
			c->global_quality = FF_QP2LAMBDA * 4;
		}
	} else if (strcmp(name, "mpeg4") == 0) {
		/* Its VOL stores the clock in 16 bits: count in frames. */
		c->time_base = (AVRational){fps_den, fps_num};
		if (bitrate <= 0) {
			c->flags |= AV_CODEC_FLAG_QSCALE;
			c->global_quality = FF_QP2LAMBDA * 4;
		}
	}
	int err = avcodec_open2(c, codec, NULL);
	if (err < 0) {
		avcodec_free_context(&c);
		return err;
	}
	*out = c;
	return 0;
}

int ff_decoder_open(AVCodecContext **out, int codec_id, const uint8_t *extra, int extra_size,
	int sample_rate, int channels)
{
	const AVCodec *codec = avcodec_find_decoder(codec_id);
	if (!codec)
		return AVERROR_DECODER_NOT_FOUND;
	AVCodecContext *c = avcodec_alloc_context3(codec);
	if (!c)
		return AVERROR(ENOMEM);
	c->thread_count = 1;
	if (extra_size > 0) {
		c->extradata = av_mallocz(extra_size + AV_INPUT_BUFFER_PADDING_SIZE);
		if (!c->extradata) {
			avcodec_free_context(&c);
			return AVERROR(ENOMEM);
		}
		memcpy(c->extradata, extra, extra_size);
		c->extradata_size = extra_size;
	}
	if (sample_rate > 0)
		c->sample_rate = sample_rate;
	if (channels > 0)
		av_channel_layout_default(&c->ch_layout, channels);
	int err = avcodec_open2(c, codec, NULL);
	if (err < 0) {
		avcodec_free_context(&c);
		return err;
	}
	*out = c;
	return 0;
}

int ff_audio_encoder_open(AVCodecContext **out, const char *name, int sample_rate, int channels,
	int64_t bitrate)
{
	const AVCodec *codec = avcodec_find_encoder_by_name(name);
	if (!codec)
		return AVERROR_ENCODER_NOT_FOUND;
	AVCodecContext *c = avcodec_alloc_context3(codec);
	if (!c)
		return AVERROR(ENOMEM);
	c->sample_rate = sample_rate;
	av_channel_layout_default(&c->ch_layout, channels);
	c->time_base = (AVRational){1, sample_rate};
	c->bit_rate = bitrate;
	c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
	/* The first format the encoder lists that we can fill. */
	c->sample_fmt = AV_SAMPLE_FMT_NONE;
	for (const enum AVSampleFormat *f = codec->sample_fmts; f && *f != AV_SAMPLE_FMT_NONE; f++) {
		if (*f == AV_SAMPLE_FMT_S16 || *f == AV_SAMPLE_FMT_FLTP || *f == AV_SAMPLE_FMT_FLT ||
			*f == AV_SAMPLE_FMT_S16P) {
			c->sample_fmt = *f;
			break;
		}
	}
	if (c->sample_fmt == AV_SAMPLE_FMT_NONE) {
		avcodec_free_context(&c);
		return AVERROR(EINVAL);
	}
	int err = avcodec_open2(c, codec, NULL);
	if (err < 0) {
		avcodec_free_context(&c);
		return err;
	}
	*out = c;
	return 0;
}

int ff_frame_video(AVFrame **out, int fmt, int w, int h)
{
	AVFrame *f = av_frame_alloc();
	if (!f)
		return AVERROR(ENOMEM);
	f->format = fmt;
	f->width = w;
	f->height = h;
	int err = av_frame_get_buffer(f, 0);
	if (err < 0) {
		av_frame_free(&f);
		return err;
	}
	*out = f;
	return 0;
}

int ff_frame_audio(AVFrame **out, AVCodecContext *c)
{
	AVFrame *f = av_frame_alloc();
	if (!f)
		return AVERROR(ENOMEM);
	f->format = c->sample_fmt;
	f->nb_samples = c->frame_size > 0 ? c->frame_size : 960;
	f->sample_rate = c->sample_rate;
	int err = av_channel_layout_copy(&f->ch_layout, &c->ch_layout);
	if (err >= 0)
		err = av_frame_get_buffer(f, 0);
	if (err < 0) {
		av_frame_free(&f);
		return err;
	}
	*out = f;
	return 0;
}

int ff_scale_to_frame(struct SwsContext **sws, int src_fmt, int sw, int sh,
	const uint8_t *p0, int s0, const uint8_t *p1, int s1, const uint8_t *p2, int s2,
	AVFrame *dst)
{
	int err = av_frame_make_writable(dst);
	if (err < 0)
		return err;
	*sws = sws_getCachedContext(*sws, sw, sh, src_fmt, dst->width, dst->height, dst->format,
		SWS_BILINEAR, NULL, NULL, NULL);
	if (!*sws)
		return AVERROR(EINVAL);
	const uint8_t *src[4] = {p0, p1, p2, NULL};
	int stride[4] = {s0, s1, s2, 0};
	if (sws_scale(*sws, src, stride, 0, sh, dst->data, dst->linesize) <= 0)
		return AVERROR(EINVAL);
	return 0;
}

int ff_frame_to_planes(struct SwsContext **sws, const AVFrame *src, int dst_fmt, int dw, int dh,
	uint8_t *p0, int s0, uint8_t *p1, int s1, uint8_t *p2, int s2)
{
	*sws = sws_getCachedContext(*sws, src->width, src->height, src->format, dw, dh, dst_fmt,
		SWS_BILINEAR, NULL, NULL, NULL);
	if (!*sws)
		return AVERROR(EINVAL);
	uint8_t *dst[4] = {p0, p1, p2, NULL};
	int stride[4] = {s0, s1, s2, 0};
	if (sws_scale(*sws, (const uint8_t *const *)src->data, src->linesize, 0, src->height, dst, stride) <= 0)
		return AVERROR(EINVAL);
	return 0;
}

int ff_send_video(AVCodecContext *ctx, AVFrame *f, int64_t pts, int key)
{
	f->pts = av_rescale_q(pts, (AVRational){1, 90000}, ctx->time_base);
	f->pict_type = key ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
	f->key_frame = key ? 1 : 0;
	return avcodec_send_frame(ctx, f);
}

static float s16_to_float(int16_t s) { return (float)s / 32768.0f; }

int ff_audio_fill(AVFrame *f, const int16_t *pcm, int nb)
{
	int err = av_frame_make_writable(f);
	if (err < 0)
		return err;
	int ch = f->ch_layout.nb_channels;
	f->nb_samples = nb;
	switch (f->format) {
	case AV_SAMPLE_FMT_S16:
		memcpy(f->data[0], pcm, (size_t)nb * ch * 2);
		break;
	case AV_SAMPLE_FMT_S16P:
		for (int c = 0; c < ch; c++) {
			int16_t *d = (int16_t *)f->extended_data[c];
			for (int i = 0; i < nb; i++)
				d[i] = pcm[i * ch + c];
		}
		break;
	case AV_SAMPLE_FMT_FLT: {
		float *d = (float *)f->data[0];
		for (int i = 0; i < nb * ch; i++)
			d[i] = s16_to_float(pcm[i]);
		break;
	}
	case AV_SAMPLE_FMT_FLTP:
		for (int c = 0; c < ch; c++) {
			float *d = (float *)f->extended_data[c];
			for (int i = 0; i < nb; i++)
				d[i] = s16_to_float(pcm[i * ch + c]);
		}
		break;
	default:
		return AVERROR(EINVAL);
	}
	return 0;
}

static int16_t float_to_s16(float v)
{
	v *= 32768.0f;
	if (v > 32767.0f)
		return 32767;
	if (v < -32768.0f)
		return -32768;
	return (int16_t)lrintf(v);
}

int ff_frame_channels(const AVFrame *f) { return f->ch_layout.nb_channels; }

int ff_audio_to_s16(const AVFrame *f, int16_t *dst)
{
	int ch = f->ch_layout.nb_channels, nb = f->nb_samples;
	switch (f->format) {
	case AV_SAMPLE_FMT_S16:
		memcpy(dst, f->data[0], (size_t)nb * ch * 2);
		break;
	case AV_SAMPLE_FMT_S16P:
		for (int c = 0; c < ch; c++)
			for (int i = 0; i < nb; i++)
				dst[i * ch + c] = ((const int16_t *)f->extended_data[c])[i];
		break;
	case AV_SAMPLE_FMT_FLT:
		for (int i = 0; i < nb * ch; i++)
			dst[i] = float_to_s16(((const float *)f->data[0])[i]);
		break;
	case AV_SAMPLE_FMT_FLTP:
		for (int c = 0; c < ch; c++)
			for (int i = 0; i < nb; i++)
				dst[i * ch + c] = float_to_s16(((const float *)f->extended_data[c])[i]);
		break;
	default:
		return AVERROR(EINVAL);
	}
	return nb * ch;
}

/* ff_send_bytes copies data into a padded buffer kept across calls (libavcodec
 * reads a little past the end) and sends it as one packet. */
int ff_send_bytes(AVCodecContext *ctx, AVPacket *pkt, uint8_t **buf, int *cap,
	const uint8_t *data, int size)
{
	if (size + AV_INPUT_BUFFER_PADDING_SIZE > *cap) {
		int n = (size + AV_INPUT_BUFFER_PADDING_SIZE) * 2;
		uint8_t *b = av_realloc(*buf, n);
		if (!b)
			return AVERROR(ENOMEM);
		*buf = b;
		*cap = n;
	}
	memcpy(*buf, data, size);
	memset(*buf + size, 0, AV_INPUT_BUFFER_PADDING_SIZE);
	pkt->data = *buf;
	pkt->size = size;
	int err = avcodec_send_packet(ctx, pkt);
	pkt->data = NULL;
	pkt->size = 0;
	return err;
}
