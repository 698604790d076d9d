namespace Books.Settings;

/// <summary>
/// Which proxies books-api believes about a request's origin (OWASP API8:2023), section <c>Books:ForwardedHeaders</c>.
/// Each key holds a list, or one value with entries separated by <c>;</c> (as an environment variable).
/// </summary>
public static class ForwardedHeadersSettings
{
    public const string SectionName = "Books:ForwardedHeaders";

    /// <summary>IP addresses of the proxies whose X-Forwarded-For and X-Forwarded-Proto are believed.</summary>
    public const string KnownProxiesKey = SectionName + ":KnownProxies";

    /// <summary>Networks (CIDR) of such proxies.</summary>
    public const string KnownNetworksKey = SectionName + ":KnownNetworks";
}
