/* SPDX-License-Identifier: GPL-2.0-only */
/* Text and Markdown renderings of the summary document (summary.c builds it). */
#ifndef READER_REPORT_H
#define READER_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

void report_summary(FILE *f, const json_t *doc, bool markdown, long limit);
/* A Markdown table cell: `code`, with backquotes and pipes made harmless. */
void report_md_code(FILE *f, const char *s);

#endif
