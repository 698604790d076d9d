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
/// <c>Authentication:Schemes:Bearer:Authority</c> (its published keys, <see cref="ProviderAuthority.Read"/>) and the audiences
/// in <c>Authentication:Schemes:Bearer:ValidAudiences</c>, the framework's own settings.
/// </summary>
public static class BooksSecurity
{
    public const string WritePolicy = "books.write";
    public const string AdminPolicy = "books.admin";

    /// <summary>How long a call to the provider (metadata, keys) may take before the write gets a 503, unless configured.</summary>
    public static readonly TimeSpan DefaultBackchannelTimeout = TimeSpan.FromSeconds(10);

    public static IHostApplicationBuilder AddBooksSecurity(this IHostApplicationBuilder builder)
    {
        var authority = ProviderAuthority.Read(builder.Configuration);
        builder.Services.AddValidatedSettings<TokenValidationSettings>(TokenValidationSettings.SectionName);

        // Reads are anonymous, so only writes authenticate: the project file sets the runtime switch
        // Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme, so the one scheme is not made the default and
        // run on every request; the write policy names it, and challenges and forbids answer with it.
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
        });
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<IOptions<TokenValidationSettings>>((options, settings) =>
        {
            if (settings.Value.ClockSkew is { } skew)
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

        return builder;
    }

    public static WebApplication UseBooksSecurity(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }

    /// <summary>Write endpoints: an authenticated caller with the write scope.</summary>
    public static TBuilder RequireWriter<TBuilder>(this TBuilder endpoints) where TBuilder : IEndpointConventionBuilder =>
        endpoints.RequireCaller(WritePolicy);

    /// <summary>Operator endpoints (OWASP API5, function-level authorization): the admin scope, in every
    /// environment; <c>books.write</c> alone is 403.</summary>
    public static TBuilder RequireAdmin<TBuilder>(this TBuilder endpoints) where TBuilder : IEndpointConventionBuilder =>
        endpoints.RequireCaller(AdminPolicy);

    /// <summary>The scope a policy asks for, as the OpenAPI document publishes it.</summary>
    public static string? ScopeOf(string? policy) => policy switch
    {
        WritePolicy => BooksApiSettings.WriteScope,
        AdminPolicy => BooksApiSettings.AdminScope,
        _ => null,
    };

    private static TBuilder RequireCaller<TBuilder>(this TBuilder endpoints, string policy) where TBuilder : IEndpointConventionBuilder =>
        endpoints
            .RequireAuthorization(policy)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

    /// <summary>The token's subject. (Identity.Name is no fallback: with inbound claims unmapped, a JWT never sets it.)</summary>
    internal static string? CallerOf(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true ? user.FindFirst("sub")?.Value : null;

    internal static bool HasScope(ClaimsPrincipal user, string scope) =>
        user.FindAll("scope").Concat(user.FindAll("scp"))
            .SelectMany(claim => claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Contains(scope, StringComparer.Ordinal);
}
