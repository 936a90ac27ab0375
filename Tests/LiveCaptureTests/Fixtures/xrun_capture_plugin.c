/* A test-only ALSA capture PCM (an external "ioplug" plugin) that overruns on cue.
 *
 * No sound card and no snd-aloop module exist on the machines this project is tested on, and the
 * `null` PCM behind the `file` plugin always reports a full buffer, so it can never overrun. This
 * plugin is loaded by libasound itself (pcm_type.xrun { lib "..." } in the test's configuration),
 * so the capture code under test goes through the real snd_pcm_open / hw_params / readi /
 * recover path. It delivers a known ramp, one period at a time; after `xrun_after` frames its
 * pointer reports an overrun (-EPIPE), as a device whose buffer filled before it was read does,
 * and `drop` frames of the ramp are lost, as they are on a real device. After the recovery
 * (snd_pcm_recover: prepare, restart) the ramp goes on.
 *
 *   pcm.xrunin { type xrun rate 22050 xrun_after 2560 drop 1000 }
 *
 * Sample n of the stream is ramp(n) = (n % 4001) * 8 - 16000 (S16_LE, mono).
 * Built by the test with the toolchain's clang: clang -shared -fPIC THIS -lasound -o LIB.
 */
#include <alsa/asoundlib.h>
#include <alsa/pcm_external.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

typedef struct {
    snd_pcm_ioplug_t io;
    long xrun_after;          /* frames delivered before the overrun */
    long drop;                /* ramp samples lost at the overrun */
    long delivered;           /* frames handed to the application */
    long long position;       /* index of the next ramp sample */
    int overrun_done;
} xrun_capture;

static int16_t ramp(long long n) { return (int16_t)((n % 4001) * 8 - 16000); }

static int xrun_start(snd_pcm_ioplug_t *io) { (void)io; return 0; }
static int xrun_stop(snd_pcm_ioplug_t *io) { (void)io; return 0; }

/* The device is always one period ahead of the application (never more, so it cannot overrun
 * by itself), except once: at `xrun_after` frames it reports the overrun. */
static snd_pcm_sframes_t xrun_pointer(snd_pcm_ioplug_t *io) {
    xrun_capture *x = io->private_data;
    snd_pcm_uframes_t ahead = io->period_size;
    if (!x->overrun_done) {
        long left = x->xrun_after - x->delivered;
        if (left <= 0) {
            x->overrun_done = 1;
            x->position += x->drop;
            return -EPIPE;
        }
        if ((snd_pcm_uframes_t)left < ahead) ahead = (snd_pcm_uframes_t)left;
    }
    return (snd_pcm_sframes_t)((io->appl_ptr + ahead) % io->buffer_size);
}

static snd_pcm_sframes_t xrun_transfer(snd_pcm_ioplug_t *io, const snd_pcm_channel_area_t *areas,
                                       snd_pcm_uframes_t offset, snd_pcm_uframes_t size) {
    xrun_capture *x = io->private_data;
    char *base = (char *)areas[0].addr + (areas[0].first + areas[0].step * offset) / 8;
    unsigned step = areas[0].step / 8;
    for (snd_pcm_uframes_t i = 0; i < size; i++) {
        int16_t value = ramp(x->position++);
        memcpy(base + i * step, &value, sizeof value);
    }
    x->delivered += (long)size;
    return (snd_pcm_sframes_t)size;
}

static int xrun_close(snd_pcm_ioplug_t *io) {
    xrun_capture *x = io->private_data;
    close(io->poll_fd);
    free(x);
    return 0;
}

static const snd_pcm_ioplug_callback_t xrun_callbacks = {
    .start = xrun_start,
    .stop = xrun_stop,
    .pointer = xrun_pointer,
    .transfer = xrun_transfer,
    .close = xrun_close,
};

SND_PCM_PLUGIN_DEFINE_FUNC(xrun) {
    (void)root;
    long rate = 22050, xrun_after = 2560, drop = 1000;
    snd_config_iterator_t i, next;
    snd_config_for_each(i, next, conf) {
        snd_config_t *n = snd_config_iterator_entry(i);
        const char *id;
        if (snd_config_get_id(n, &id) < 0) continue;
        if (!strcmp(id, "comment") || !strcmp(id, "type") || !strcmp(id, "hint")) continue;
        long *field = !strcmp(id, "rate") ? &rate : !strcmp(id, "xrun_after") ? &xrun_after
                    : !strcmp(id, "drop") ? &drop : NULL;
        if (!field || snd_config_get_integer(n, field) < 0) {
            SNDERR("xrun test PCM: unknown or non-integer field %s", id);
            return -EINVAL;
        }
    }
    if (stream != SND_PCM_STREAM_CAPTURE) return -EINVAL;
    xrun_capture *x = calloc(1, sizeof *x);
    if (!x) return -ENOMEM;
    x->xrun_after = xrun_after;
    x->drop = drop;
    x->io.version = SND_PCM_IOPLUG_VERSION;
    x->io.name = "overrun test capture";
    x->io.callback = &xrun_callbacks;
    x->io.private_data = x;
    x->io.poll_fd = eventfd(1, EFD_NONBLOCK);   /* always readable: data is always there */
    x->io.poll_events = POLLIN;
    int err = snd_pcm_ioplug_create(&x->io, name, stream, mode);
    if (err < 0) { close(x->io.poll_fd); free(x); return err; }
    unsigned int access[] = { SND_PCM_ACCESS_RW_INTERLEAVED };
    unsigned int formats[] = { SND_PCM_FORMAT_S16_LE };
    if ((err = snd_pcm_ioplug_set_param_list(&x->io, SND_PCM_IOPLUG_HW_ACCESS, 1, access)) < 0
        || (err = snd_pcm_ioplug_set_param_list(&x->io, SND_PCM_IOPLUG_HW_FORMAT, 1, formats)) < 0
        || (err = snd_pcm_ioplug_set_param_minmax(&x->io, SND_PCM_IOPLUG_HW_CHANNELS, 1, 1)) < 0
        || (err = snd_pcm_ioplug_set_param_minmax(&x->io, SND_PCM_IOPLUG_HW_RATE, (unsigned)rate, (unsigned)rate)) < 0
        || (err = snd_pcm_ioplug_set_param_minmax(&x->io, SND_PCM_IOPLUG_HW_PERIOD_BYTES, 128, 16384)) < 0
        || (err = snd_pcm_ioplug_set_param_minmax(&x->io, SND_PCM_IOPLUG_HW_PERIODS, 2, 64)) < 0) {
        snd_pcm_ioplug_delete(&x->io);
        return err;
    }
    *pcmp = x->io.pcm;
    return 0;
}

SND_PCM_PLUGIN_SYMBOL(xrun);
