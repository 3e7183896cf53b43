/* The kinds of scheduled job: when each is due, what a run does, what a late run does. The
 * scheduler (scheduler.c) plans, claims and records; this is the table it is handed. */
#ifndef BAOCAO_JOBS_H
#define BAOCAO_JOBS_H

#include "scheduler.h"

#include <stddef.h>

/* The kinds of job; a new kind is one more row. main.c hands them to scheduler_start. */
extern const struct scheduler_kind job_kinds[];
extern const size_t job_nkinds;

#endif
