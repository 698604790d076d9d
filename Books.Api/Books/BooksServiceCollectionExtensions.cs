using Books.Settings;
using Books.Api.Database;
using Books.Api.Http;
using Books.Api.Limits;
using OpenTelemetry.Metrics;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using MongoDB.Driver;

namespace Books.Api.Books;

public static class BooksServiceCollectionExtensions
{
    public const string CollectionName = "books";

    /// <summary>
    /// Registers the books feature on top of the process-wide <see cref="IMongoDatabase"/> from
    /// <c>AddMongoDBClient</c>: the typed collection (handlers take it directly, no wrapper), the index
    /// bootstrapper and its readiness check, and the problem responses for bad requests and outages.
    /// </summary>
    /// <exception cref="InvalidOperationException">No <see cref="IMongoDatabase"/> is registered: the connection
    /// string names no database, or sets an option books-api cannot answer truthfully with (<see cref="BooksMongoClientSettings.Validate"/>);
    /// or the runtime cannot normalize Unicode (<see cref="BookWords.RequireUnicodeNormalization"/>).</exception>
    public static IHostApplicationBuilder AddBooks(this IHostApplicationBuilder builder, string connectionName = BooksApiSettings.DatabaseConnectionName)
    {
        if (!builder.Services.Any(service => service.ServiceType == typeof(IMongoDatabase) && !service.IsKeyedService))
        {
            throw new InvalidOperationException(
                $"The books API needs a database, but the connection string 'ConnectionStrings:{connectionName}' names none. " +
                $"Put the database in its path, e.g. mongodb://host:27017/{connectionName}; under the AppHost, reference the " +
                "database resource (AddDatabase), not the server.");
        }

        BookWords.RequireUnicodeNormalization();
        BooksMongoClientSettings.Validate(builder.Configuration, connectionName);
        builder.Services.TryAddSingleton<BooksMongoClientSettings>(); // when the client was added without BooksMongoClientSettings.Configure
        builder.Services.TryAddSingleton(TimeProvider.System); // a clock the host registered first stays
        builder.Services.AddSingleton(services => services.GetRequiredService<BookQueryLimits>()
            .BoundWrites(services.GetRequiredService<IMongoDatabase>().GetCollection<Book>(CollectionName)));

        builder.Services.AddSingleton<BooksMetrics>();
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(BooksMetrics.MeterName));

        builder.Services.AddValidatedSettings<IndexSettings>(IndexSettings.SectionName);
        builder.Services.AddSingleton<BookIndexStatus>();
        builder.Services.AddSingleton<BookIndexRefusals>();
        builder.Services.AddHostedService<BookIndexBuilder>();
        builder.Services.AddHealthChecks().AddCheck<BookIndexesHealthCheck>(BookIndexesHealthCheck.Name);
        builder.Services.AddHostedService<BookWordsBackfill>();

        // Binding failures throw, so BadRequestExceptionHandler can say what was wrong.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.AllowDuplicateProperties = false;
            options.SerializerOptions.NumberHandling = JsonNumberHandling.Strict; // "1999" is not a number
            options.SerializerOptions.TypeInfoResolverChain.Insert(0, BooksJsonContext.Default);
        });
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        builder.Services.AddExceptionHandler<UnavailableExceptionHandler>();

        return builder;
    }

    /// <summary>Counts writes by outcome; goes first, so it sees the status every later handler settles on.</summary>
    public static IApplicationBuilder UseBooksMetrics(this IApplicationBuilder app) =>
        app.UseMiddleware<BooksMetricsMiddleware>();
}
