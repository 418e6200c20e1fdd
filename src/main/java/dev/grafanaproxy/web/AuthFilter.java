package dev.grafanaproxy.web;

import dev.grafanaproxy.config.ProxyConfig;
import dev.grafanaproxy.identity.IdentityHeaders;
import dev.grafanaproxy.proxy.ErrorResponses;
import dev.grafanaproxy.proxy.ProxyConfigHolder;
import dev.grafanaproxy.proxy.RequestPaths;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;

/**
 * Decides who may pass to Grafana. Public paths pass with no identity; every other request needs
 * the app's session. The decision is stored as an {@link IdentityHeaders} request attribute, which
 * the proxy writes onto the upstream request after removing every client-sent header of those names.
 */
public class AuthFilter implements Filter {
    private ProxyConfig config;
    private PublicPaths publicPaths;

    public AuthFilter() {
    }

    /** For programmatic registration with an already built configuration. */
    public AuthFilter(ProxyConfig config) {
        this.config = config;
    }

    @Override
    public void init(FilterConfig filterConfig) {
        if (config == null) {
            config = ProxyConfigHolder.obtain(filterConfig.getServletContext(), filterConfig::getInitParameter);
        }
        publicPaths = new PublicPaths(config.publicPaths());
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain) throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) req;
        HttpServletResponse response = (HttpServletResponse) res;
        if (publicPaths.matches(RequestPaths.pathBelowMount(request))) {
            request.setAttribute(IdentityHeaders.REQUEST_ATTRIBUTE, IdentityHeaders.NONE);
            chain.doFilter(request, response);
            return;
        }
        // fail closed: without a verified session nothing reaches Grafana
        response.setHeader("WWW-Authenticate", "Bearer");
        ErrorResponses.send(response, HttpServletResponse.SC_UNAUTHORIZED, "authentication required");
    }
}
