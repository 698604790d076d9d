using Books.Api.Limits;
using Books.Api.Books;
using Books.Api.Http;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Books.Settings;
using MongoDB.Driver;

namespace Books.Api.Security;

/// <summary>
/// Who may write: JWT bearer tokens with the <c>books.write</c> scope; reads stay anonymous. Tokens are
/// validated in one way only, in every environment: against the OpenID Connect provider named by
/// <c>Authentication:Schemes:Bearer:Authority</c> (its published keys) and the audiences in
/// <c>Authentication:Schemes:Bearer:ValidAudiences</c>, the framework's own settings. Writes are
/// rate-limited per caller, across replicas (<see cref="SharedWriteRateLimit"/>).
/// </summary>
public static class BooksSecurity
{
    public const string WritePolicy = "books.write";
    public const string AdminPolicy = "books.admin";
    public const string ReadPolicy = "books.read";

    /// <summary>How long a call to the provider (metadata, keys) may take before the write gets a 503, unless configured.</summary>
    public static readonly TimeSpan DefaultBackchannelTimeout = TimeSpan.FromSeconds(10);

    private const string SuppressAutoDefaultSchemeSwitch = "Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme";

    public static IHostApplicationBuilder AddBooksSecurity(this IHostApplicationBuilder builder)
    {
        var authority = ProviderAuthority(builder.Configuration);
        var clockSkew = builder.AddValidatedSettings<TokenValidationSettings>(TokenValidationSettings.SectionName).ClockSkew;

        // Reads are anonymous, so only writes authenticate. With one scheme registered ASP.NET Core would make
        // it the default and run it on every request (a handler per request: about 3% of what a GET by id
        // allocates); without a default authenticate scheme the middleware leaves reads alone, the write policy
        // names the scheme, and challenges and forbids still answer with it.
        AppContext.SetSwitch(SuppressAutoDefaultSchemeSwitch, true);
        builder.Services.AddAuthentication(options =>
        {
            options.DefaultChallengeScheme = JwtBearerDefaults.AuthenticationScheme;
            options.DefaultForbidScheme = JwtBearerDefaults.AuthenticationScheme;
        }).AddJwtBearer(options =>
        {
            options.MapInboundClaims = false;
            // Plain HTTP to the provider only on this machine (the AppHost's provider, the tests'); checked above.
            options.RequireHttpsMetadata = authority.Scheme == Uri.UriSchemeHttps;
            if (builder.Configuration[BooksApiSettings.BackchannelTimeoutKey] is null)
            {
                options.BackchannelTimeout = DefaultBackchannelTimeout;
            }

            if (clockSkew is { } skew)
            {
                options.TokenValidationParameters.ClockSkew = skew;
            }
        });
        builder.Services.AddSingleton<IPostConfigureOptions<JwtBearerOptions>, IdentityProviderOutages>();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Validate(options => options.TokenValidationParameters.IssuerSigningKey is null
                    && options.TokenValidationParameters.IssuerSigningKeys?.Any() != true
                    && options.TokenValidationParameters.IssuerSigningKeyResolver is null,
                "A signing key is configured in code beside the identity provider; books-api accepts only the provider's published keys.")
            .ValidateOnStart();

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(WritePolicy, policy => policy
                .AddAuthenticationSchemes(JwtBearerDefaults.AuthenticationScheme)
                .RequireAuthenticatedUser()
                .RequireAssertion(context => HasScope(context.User, BooksApiSettings.WriteScope)))
            .AddPolicy(AdminPolicy, policy => policy
                .AddAuthenticationSchemes(JwtBearerDefaults.AuthenticationScheme)
                .RequireAuthenticatedUser()
                .RequireAssertion(context => HasScope(context.User, BooksApiSettings.AdminScope)));

        var limits = builder.AddValidatedSettings<RateLimitSettings>(RateLimitSettings.SectionName);
        var (limited, permits, reads, window) = (limits.Enabled, limits.WritesPerWindow, limits.ReadsPerWindow, limits.Window);

        // Reads stay anonymous (no token is validated for them), so they are limited per client address, in
        // process: each replica counts its own (OWASP API4). A sliding window of ten segments.
        builder.Services.AddRateLimiter(options =>
        {
            options.AddPolicy(ReadPolicy, http => limited
                ? RateLimitPartition.GetSlidingWindowLimiter(
                    http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new SlidingWindowRateLimiterOptions { PermitLimit = reads, Window = window, SegmentsPerWindow = 10, QueueLimit = 0 })
                : RateLimitPartition.GetNoLimiter("off"));
            options.OnRejected = (context, cancellationToken) => RejectReadAsync(context, reads, window);
        });

        builder.Services.AddSingleton(services => services.GetRequiredService<BookQueryLimits>()
            .BoundWrites(services.GetRequiredService<IMongoDatabase>().GetCollection<WriteLog>(WriteLog.CollectionName)));
        if (limited)
        {
            builder.Services.AddSingleton(services => new SharedWriteRateLimit(
                services.GetRequiredService<IMongoCollection<WriteLog>>(), services.GetRequiredService<TimeProvider>(), permits, window,
                services.GetRequiredService<BookQueryLimits>().TimeLimit));
        }

        return builder;
    }

    private static async ValueTask RejectReadAsync(OnRejectedContext context, int reads, TimeSpan window)
    {
        var http = context.HttpContext;
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = BooksProblems.TooManyReads.Details(BooksProblems.TooManyReads.Detail(reads, window.TotalSeconds)),
        });
    }

    /// <summary>Read endpoints: anonymous, limited per client address.</summary>
    public static RouteHandlerBuilder RequireReadLimit(this RouteHandlerBuilder endpoint) =>
        endpoint.RequireRateLimiting(ReadPolicy).ProducesProblem(StatusCodes.Status429TooManyRequests);

    public static WebApplication UseBooksSecurity(this WebApplication app)
    {
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }

    /// <summary>Write endpoints: an authenticated caller with the write scope, within its rate limit.</summary>
    public static RouteHandlerBuilder RequireWriter(this RouteHandlerBuilder endpoint) => endpoint.RequireCaller(WritePolicy);

    /// <summary>Operator endpoints (OWASP API5, function-level authorization): the admin scope, in every
    /// environment; <c>books.write</c> alone is 403. Counted against the same rate limit as writes.</summary>
    public static RouteHandlerBuilder RequireAdmin(this RouteHandlerBuilder endpoint) => endpoint.RequireCaller(AdminPolicy);

    /// <summary>The scope a policy asks for, as the OpenAPI document publishes it.</summary>
    public static string? ScopeOf(string? policy) => policy switch
    {
        WritePolicy => BooksApiSettings.WriteScope,
        AdminPolicy => BooksApiSettings.AdminScope,
        _ => null,
    };

    private static RouteHandlerBuilder RequireCaller(this RouteHandlerBuilder endpoint, string policy) =>
        endpoint
            .RequireAuthorization(policy)
            .AddEndpointFilter((context, next) =>
                context.HttpContext.RequestServices.GetService<SharedWriteRateLimit>() is { } limit ? limit.InvokeAsync(context, next) : next(context))
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

    /// <summary>The token's subject. (Identity.Name is no fallback: with inbound claims unmapped, a JWT never sets it.)</summary>
    internal static string? CallerOf(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true ? user.FindFirst("sub")?.Value : null;

    /// <summary>
    /// The provider's address: required, absolute, and HTTPS unless it is this machine (a loopback address or
    /// <c>localhost</c>), where the AppHost and the tests run their provider over plain HTTP. Keys fetched over
    /// plain HTTP from anywhere else could be swapped on the way.
    /// </summary>
    internal static Uri ProviderAuthority(IConfiguration configuration)
    {
        var value = configuration[BooksApiSettings.AuthorityKey];
        if (string.IsNullOrEmpty(value))
        {
            throw new InvalidOperationException(
                $"Books.Api cannot validate bearer tokens: set '{BooksApiSettings.AuthorityKey}' to your OpenID Connect provider (its issuer URL) " +
                $"and '{BooksApiSettings.AudiencesKey}:0' to the audience it issues books-api's tokens for. Under the AppHost both are set for you.");
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var authority) || (authority.Scheme != Uri.UriSchemeHttps && authority.Scheme != Uri.UriSchemeHttp))
        {
            throw new InvalidOperationException($"'{BooksApiSettings.AuthorityKey}' must be an absolute https:// URL (the provider's issuer), not '{value}'.");
        }

        if (authority.Scheme == Uri.UriSchemeHttp && !IsThisMachine(authority))
        {
            throw new InvalidOperationException(
                $"'{BooksApiSettings.AuthorityKey}' is {value}: plain HTTP is accepted only for a provider on this machine (localhost or a loopback address). " +
                "Use the provider's https:// address.");
        }

        // ASP.NET Core binds Authentication:Schemes:Bearer:SigningKeys (what dotnet user-jwts writes) to symmetric keys
        // that JwtBearer would honour beside the provider's: a shared secret that opens writes anywhere it leaks.
        if (configuration.GetSection(BooksApiSettings.SigningKeysKey).GetChildren().Any())
        {
            throw new InvalidOperationException(
                $"'{BooksApiSettings.SigningKeysKey}' is set: books-api accepts tokens signed only with the keys its identity provider publishes " +
                $"('{BooksApiSettings.AuthorityKey}'), never with a configured key. Remove it (and any user-jwts secrets).");
        }

        if (!configuration.GetSection(BooksApiSettings.AudiencesKey).GetChildren().Any())
        {
            throw new InvalidOperationException(
                $"'{BooksApiSettings.AuthorityKey}' is set, but not '{BooksApiSettings.AudiencesKey}': name the audience your identity provider issues books-api's tokens for " +
                $"(for example {BooksApiSettings.AudiencesKey}:0=api://books), or no token will be accepted.");
        }

        return authority;
    }

    private static bool IsThisMachine(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.DnsSafeHost, out var address) && IPAddress.IsLoopback(address));

    internal static bool HasScope(ClaimsPrincipal user, string scope) =>
        user.FindAll("scope").Concat(user.FindAll("scp"))
            .SelectMany(claim => claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Contains(scope, StringComparer.Ordinal);
}
