using Books.Api.Http;
using Books.Settings;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using MongoDB.Driver;
using System.Threading.RateLimiting;

namespace Books.Api.Limits;

/// <summary>
/// Every limit books-api puts on its callers (OWASP API4:2023, unrestricted resource consumption), registered and
/// applied from here: the body size, reads per client address (in process, each replica its own), writes per caller
/// across replicas (<see cref="SharedWriteRateLimit"/>, counted in MongoDB), and the query limits
/// (<see cref="BookQueryLimits"/>: time limit, listing slots).
/// </summary>
public static class BooksLimits
{
    /// <summary>The largest request body any endpoint takes (413 beyond).</summary>
    public const int MaxBodyBytes = 64 * 1024;

    public const string ReadPolicy = "books.read";

    public static IHostApplicationBuilder AddBooksLimits(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedSettings<QueryLimitSettings>(QueryLimitSettings.SectionName);
        builder.Services.AddSingleton<BookQueryLimits>();

        builder.Services.AddValidatedSettings<RateLimitSettings>(RateLimitSettings.SectionName);
        builder.Services.AddRateLimiter(_ => { });
        builder.Services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitSettings>>((options, settings) =>
        {
            var (limited, reads, window) = (settings.Value.Enabled, settings.Value.ReadsPerWindow, settings.Value.Window);
            options.AddPolicy(ReadPolicy, http => limited
                ? RateLimitPartition.GetSlidingWindowLimiter(
                    http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new SlidingWindowRateLimiterOptions { PermitLimit = reads, Window = window, SegmentsPerWindow = 10, QueueLimit = 0 })
                : RateLimitPartition.GetNoLimiter("off"));
            options.OnRejected = (context, _) => RejectReadAsync(context, reads, window);
        });

        builder.Services.AddSingleton(services => services.GetRequiredService<BookQueryLimits>()
            .BoundWrites(services.GetRequiredService<IMongoDatabase>().GetCollection<WriteLog>(WriteLog.CollectionName)));
        builder.Services.AddSingleton(services =>
        {
            var settings = services.GetRequiredService<IOptions<RateLimitSettings>>().Value;
            return new SharedWriteRateLimit(services.GetRequiredService<IMongoCollection<WriteLog>>(), services.GetRequiredService<TimeProvider>(),
                settings.WritesPerWindow, settings.Window, services.GetRequiredService<BookQueryLimits>().TimeLimit);
        });

        return builder;
    }

    public static WebApplication UseBooksLimits(this WebApplication app)
    {
        app.UseRateLimiter();
        return app;
    }

    /// <summary>Reads: anonymous, limited per client address.</summary>
    public static TBuilder WithReadLimit<TBuilder>(this TBuilder endpoints) where TBuilder : IEndpointConventionBuilder =>
        endpoints.RequireRateLimiting(ReadPolicy).ProducesProblem(StatusCodes.Status429TooManyRequests);

    /// <summary>Writes (and admin calls): within the caller's write budget, shared across replicas.</summary>
    public static TBuilder WithWriteLimit<TBuilder>(this TBuilder endpoints) where TBuilder : IEndpointConventionBuilder =>
        endpoints
            .AddEndpointFilter((context, next) =>
                context.HttpContext.RequestServices.GetRequiredService<IOptions<RateLimitSettings>>().Value.Enabled
                    ? context.HttpContext.RequestServices.GetRequiredService<SharedWriteRateLimit>().InvokeAsync(context, next)
                    : next(context))
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

    /// <summary>Every endpoint: bodies of at most <see cref="MaxBodyBytes"/>.</summary>
    public static TBuilder WithBodyLimit<TBuilder>(this TBuilder endpoints) where TBuilder : IEndpointConventionBuilder =>
        endpoints.WithMetadata(new RequestSizeLimitAttribute(MaxBodyBytes));

    private static async ValueTask RejectReadAsync(OnRejectedContext context, int reads, TimeSpan window)
    {
        var http = context.HttpContext;
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = RetryAfter.Header(retryAfter);
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = BooksProblems.TooManyReads(reads, window).ProblemDetails,
        });
    }
}
