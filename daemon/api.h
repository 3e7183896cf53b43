/* The JSON API handlers under /api/v1, one file per resource. */
#ifndef BAOCAO_API_H
#define BAOCAO_API_H

#include "http.h"

struct db;

/* api_periods.c */
void api_period_get(struct http_request *rq, struct http_response *rs, struct db *db);

#endif
