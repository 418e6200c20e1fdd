/**
 * The web layer that wires everything together: {@link dev.grafanaproxy.web.GrafanaProxyListener}
 * loads and validates the configuration once at start-up (a bad value stops the web app with one
 * line naming the key), and {@link dev.grafanaproxy.web.AuthFilter} decides who may pass: public
 * paths go through without identity, everything else needs the app's session JWT. The filter hands
 * the identity to the proxy servlet as a request attribute; it never creates an HTTP session.
 */
package dev.grafanaproxy.web;
