/* Count the words of a file (or standard input) with the shortlong C API.
 *
 *   count_file [FILE]      prints: words=N ignored=N long=N fraction=F
 *
 * The file is read in 64 KiB chunks through a stream, so a character or a
 * word cut by a chunk boundary is still counted exactly. Exit status: 0 on
 * success, 1 on an I/O error, 2 on invalid UTF-8, 3 when no word remains.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "shortlong.h"

static int fail(SlStatus status, const char *what) {
    fprintf(stderr, "count_file: %s: %s\n", what, sl_status_message(status));
    return 1;
}

int main(int argc, char **argv) {
    FILE *f = stdin;
    const char *name = "<stdin>";
    if (argc > 1) {
        name = argv[1];
        f = fopen(name, "rb");
        if (f == NULL) {
            fprintf(stderr, "count_file: %s: %s\n", name, strerror(errno));
            return 1;
        }
    }

    /* Options: the defaults, spelled out to show the API. */
    SlStr ignore[2] = {{(const uint8_t *)"the", 3}, {(const uint8_t *)"a", 1}};
    SlOptions *options = NULL;
    SlStatus st = sl_options_new(8, ignore, 2, SL_ERRORS_STRICT, &options, NULL);
    if (st != SL_STATUS_OK) return fail(st, "sl_options_new");

    SlStream *stream = NULL;
    st = sl_stream_new(options, &stream);
    sl_options_free(options); /* the stream keeps its own copy */
    if (st != SL_STATUS_OK) return fail(st, "sl_stream_new");

    static uint8_t buf[65536];
    SlUtf8Error err = {0, 0, 0};
    int rc = 0;
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        st = sl_stream_feed(stream, buf, n, &err);
        if (st != SL_STATUS_OK) break;
    }
    if (ferror(f)) {
        fprintf(stderr, "count_file: %s: read error\n", name);
        rc = 1;
    }
    SlCounts counts = {0, 0, 0};
    if (rc == 0 && st == SL_STATUS_OK) st = sl_stream_finish(stream, &counts, &err);
    if (rc == 0 && st == SL_STATUS_INVALID_UTF8) {
        fprintf(stderr, "count_file: %s: invalid UTF-8 at byte offset %llu (%llu bytes)\n", name,
                (unsigned long long)err.offset, (unsigned long long)err.length);
        rc = 2;
    } else if (rc == 0 && st != SL_STATUS_OK) {
        rc = fail(st, name);
    }
    sl_stream_free(stream);
    if (f != stdin) fclose(f);
    if (rc != 0) return rc;

    double fraction = 0.0;
    st = sl_counts_fraction(&counts, &fraction);
    printf("words=%llu ignored=%llu long=%llu ", (unsigned long long)counts.words,
           (unsigned long long)counts.ignored, (unsigned long long)counts.long_words);
    if (st == SL_STATUS_NO_WORDS) {
        printf("fraction=none\n");
        return 3;
    }
    printf("fraction=%.17g\n", fraction);
    return 0;
}
