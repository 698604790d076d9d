using Books.Api.Limits;
using System.Net;
using Books.Settings;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Primitives;

namespace Books.Api.Http;

/// <summary>
/// What books-api believes about how a request reached it (OWASP API8:2023, security misconfiguration):
/// <list type="bullet">
/// <item>X-Forwarded-For and X-Forwarded-Proto only from the proxies and networks configured under
/// <see cref="ForwardedHeadersSettings.KnownProxiesKey"/> and <see cref="ForwardedHeadersSettings.KnownNetworksKey"/>; with none configured the headers are ignored,
/// so a client cannot choose the address its rate limits are counted by.</item>
/// <item>Outside Development, only the Host names in <see cref="BooksApiSettings.AllowedHostsKey"/> (never <c>*</c>), except for
/// <c>/health</c> and <c>/alive</c>, which an orchestrator probes with the pod's own address as Host.</item>
/// </list>
/// </summary>
public static class BooksFrontDoor
{
    private static readonly string[] s_probes = ["/health", "/alive"];

    /// <summary>ASP.NET Core's own switch for its forwarded-headers middleware (environment variable ASPNETCORE_FORWARDEDHEADERS_ENABLED).</summary>
    public const string FrameworkForwardedHeadersKey = "FORWARDEDHEADERS_ENABLED";

    public static IHostApplicationBuilder AddBooksFrontDoor(this IHostApplicationBuilder builder)
    {
        var proxies = Values(builder.Configuration, ForwardedHeadersSettings.KnownProxiesKey)
            .Select(value => IPAddress.TryParse(value, out var address) ? address
                : throw new InvalidOperationException($"'{ForwardedHeadersSettings.KnownProxiesKey}' holds '{value}', which is not an IP address."))
            .ToList();
        var networks = Values(builder.Configuration, ForwardedHeadersSettings.KnownNetworksKey)
            .Select(value => System.Net.IPNetwork.TryParse(value, out var network) ? network
                : throw new InvalidOperationException($"'{ForwardedHeadersSettings.KnownNetworksKey}' holds '{value}', which is not a network in CIDR notation (10.0.0.0/8)."))
            .ToList();
        // PostConfigure, after every other setup: with ASPNETCORE_FORWARDEDHEADERS_ENABLED=true (which Aspire's manifest gives every
        // project) ASP.NET Core adds its own forwarded-headers middleware and clears both lists, and a middleware with both lists
        // empty believes every source. With no proxy configured, it believes no header at all.
        var trustsProxies = proxies.Count + networks.Count > 0;
        builder.Services.PostConfigure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = trustsProxies ? ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto : ForwardedHeaders.None;
            options.ForwardLimit = null; // walk back through every trusted hop, stop at the first untrusted one
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            proxies.ForEach(options.KnownProxies.Add);
            networks.ForEach(options.KnownIPNetworks.Add);
        });

        // The framework's own host filter would refuse the probes too; it allows every host, and ours exempts them.
        builder.Services.Configure<HostFilteringOptions>(options => options.AllowedHosts = ["*"]);
        var hosts = builder.Configuration[BooksApiSettings.AllowedHostsKey]?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        if (!builder.Environment.IsDevelopment() && (hosts.Length == 0 || hosts.Contains("*")))
        {
            throw new InvalidOperationException(
                $"Outside Development books-api answers only for the host names in '{BooksApiSettings.AllowedHostsKey}' (environment variable " +
                $"{BooksApiSettings.AllowedHostsKey}), separated by ';', for example books.example.com;*.books.example.com. It is " +
                $"{(hosts.Length == 0 ? "not set" : "'*'")}: any Host header would be accepted and could end up in links.");
        }

        // The framework's middleware, when switched on, runs first (a startup filter) with the options above; a second would only repeat it.
        var frameworkForwards = string.Equals(builder.Configuration[FrameworkForwardedHeadersKey], "true", StringComparison.OrdinalIgnoreCase);
        builder.Services.AddSingleton(new FrontDoor(trustsProxies && !frameworkForwards, builder.Environment.IsDevelopment() ? [] : hosts));
        return builder;
    }

    public static WebApplication UseBooksFrontDoor(this WebApplication app)
    {
        var frontDoor = app.Services.GetRequiredService<FrontDoor>();
        if (frontDoor.ForwardsHeaders)
        {
            app.UseForwardedHeaders();
        }

        if (frontDoor.AllowedHosts.Count > 0)
        {
            app.Use((context, next) => frontDoor.Admits(context) ? next(context) : RefuseHostAsync(context));
        }

        // A write's body is kept (in memory: at most the body limit), so one the framework cannot bind can be read again
        // and described by what it holds (JsonBodyProblem).
        app.Use((context, next) =>
        {
            if (HttpMethods.IsPost(context.Request.Method) || HttpMethods.IsPut(context.Request.Method))
            {
                context.Request.EnableBuffering(bufferThreshold: BooksLimits.MaxBodyBytes);
            }

            return next(context);
        });

        return app;
    }

    private static async Task RefuseHostAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = BooksProblems.UnknownHost().ProblemDetails,
        });
    }

    private static IEnumerable<string> Values(IConfiguration configuration, string key) =>
        configuration.GetSection(key).GetChildren().Select(child => child.Value).OfType<string>()
            .Concat(configuration[key]?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? []);

    private sealed record FrontDoor(bool ForwardsHeaders, IList<StringSegment> AllowedHosts)
    {
        public FrontDoor(bool forwardsHeaders, string[] allowedHosts)
            : this(forwardsHeaders, (IList<StringSegment>)[.. allowedHosts.Select(host => new StringSegment(host))])
        {
        }

        public bool Admits(HttpContext context) =>
            s_probes.Contains(context.Request.Path.Value, StringComparer.OrdinalIgnoreCase)
            || HostString.MatchesAny(new StringSegment(context.Request.Host.Host), AllowedHosts);
    }
}
