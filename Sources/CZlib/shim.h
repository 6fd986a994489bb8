#ifndef CZLIB_SHIM_H
#define CZLIB_SHIM_H

#include <zlib.h>

/// deflateInit2 is a macro, which Swift cannot call: this starts a gzip-wrapped deflate stream.
///
/// 15 window bits plus 16 selects the gzip header and trailer; memory level 8 is zlib's default.
static inline int czlib_gzip_deflate_init(z_stream *stream, int level)
{
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

#endif
