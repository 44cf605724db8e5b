/* Gateway ports of protocol HTTPS, TLS and TCP (translate_gateway_tls.c). */
#ifndef CAIRN_XDS_TRANSLATE_GATEWAY_TLS_H
#define CAIRN_XDS_TRANSLATE_GATEWAY_TLS_H

#include "xds/translate_internal.h"

/* The Listener of port gp of gw: a tls_inspector, then one filter chain
 * per dag_gw_chain matched by SNI, terminating TLS (certificates by SDS)
 * into the port's HCM (HTTPS) or a tcp_proxy (TLS, TCP). Nothing when the
 * port has no chain. */
void translate_gateway_tls_port(struct translation *t,
    const struct dag_gateway *gw, const struct dag_gw_port *gp);

#endif
