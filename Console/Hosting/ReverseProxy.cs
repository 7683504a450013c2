using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using IPNetwork = System.Net.IPNetwork;

namespace ModerationConsole.Hosting;

/// <summary>
/// Section "ReverseProxy": the proxies (a TLS terminator, a load balancer) whose <c>X-Forwarded-For</c> and
/// <c>X-Forwarded-Proto</c> the console believes. With none configured the headers are ignored, since any client could
/// send them. With them, the client's own address is what login throttling, sessions and the <c>/metrics</c>
/// allow-list see (a proxy on the same host no longer makes every request look local), and a request that reached the
/// proxy over HTTPS gets Secure cookies and HSTS.
/// </summary>
public sealed class ReverseProxyOptions
{
    public const string Section = "ReverseProxy";

    /// <summary>Addresses of the proxies, e.g. 127.0.0.1 for one on the same host.</summary>
    public string[]? KnownProxies { get; set; }

    /// <summary>Networks (CIDR) the proxies are in, e.g. 10.0.0.0/8.</summary>
    public string[]? KnownNetworks { get; set; }

    public bool Any => (KnownProxies?.Length ?? 0) + (KnownNetworks?.Length ?? 0) > 0;
}

public static class ReverseProxy
{
    public static WebApplicationBuilder AddReverseProxy(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ReverseProxyOptions>().BindConfiguration(ReverseProxyOptions.Section).ValidateOnStart()
            .Validate(o => (o.KnownProxies ?? []).All(p => IPAddress.TryParse(p, out _)),
                "ReverseProxy:KnownProxies must be IP addresses, e.g. 127.0.0.1")
            .Validate(o => (o.KnownNetworks ?? []).All(n => IPNetwork.TryParse(n, out _)),
                "ReverseProxy:KnownNetworks must be CIDR networks, e.g. 10.0.0.0/8");
        return builder;
    }

    /// <summary>First in the pipeline, so that everything after it sees the client's address and scheme.</summary>
    public static WebApplication UseReverseProxy(this WebApplication app)
    {
        var proxies = app.Services.GetRequiredService<IOptions<ReverseProxyOptions>>().Value;
        if (!proxies.Any) return app;
        var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto };
        // The defaults trust loopback; only what the operator named is trusted.
        forwarded.KnownProxies.Clear();
        forwarded.KnownIPNetworks.Clear();
        foreach (var proxy in proxies.KnownProxies ?? []) forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
        foreach (var network in proxies.KnownNetworks ?? []) forwarded.KnownIPNetworks.Add(IPNetwork.Parse(network));
        app.UseForwardedHeaders(forwarded);
        return app;
    }
}
