#ifndef QZOO_CARCHIVE_SHIM_H
#define QZOO_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>

/* File-type macros such as AE_IFREG are casts and do not import into Swift: re-export them. */
static const unsigned int qzoo_AE_IFREG = AE_IFREG;
static const unsigned int qzoo_AE_IFDIR = AE_IFDIR;
static const unsigned int qzoo_AE_IFLNK = AE_IFLNK;
static const unsigned int qzoo_AE_IFCHR = AE_IFCHR;
static const unsigned int qzoo_AE_IFBLK = AE_IFBLK;
static const unsigned int qzoo_AE_IFIFO = AE_IFIFO;
#endif
