using Books.Api.Limits;
using Books.Api.Http;
using Books.Api.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using MongoDB.Driver;

namespace Books.Api.Books;

/// <summary>Operator endpoints: load the sample set; in Development, empty the collection.</summary>
public static class BooksAdminApi
{
    public static RouteGroupBuilder MapBooksAdminApi(this IEndpointRouteBuilder app, IHostEnvironment environment)
    {
        // Admin calls spend the caller's write budget like any write.
        var admin = app.MapGroup("/api/admin/books")
            .WithTags("Admin")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .RequireAdmin()
            .WithWriteLimit();

        admin.MapPost("/seed", SeedSampleBooks)
            .WithName(nameof(SeedSampleBooks))
            .AddEndpointFilter(WritesWaitForIsbnIndex.InvokeAsync)
            .WithSummary("Load the sample books")
            .WithDescription("Idempotent: inserts the shipped sample books whose ISBN is not stored yet. Needs the books.admin scope.");

        if (environment.IsDevelopment())
        {
            admin.MapDelete("/", DeleteAllBooks)
                .WithName(nameof(DeleteAllBooks))
                .WithSummary("Delete every book (Development only)")
                .ExcludeFromDescription(); // not part of the published contract, which is the same in every environment
        }

        return admin;
    }

    public static async Task<Ok<SeedResult>> SeedSampleBooks(
        IMongoCollection<Book> books, TimeProvider clock, BooksMetrics metrics, CancellationToken cancellationToken)
    {
        var result = await BookSamples.SeedAsync(books, BookSamples.Load(), clock, cancellationToken);
        metrics.Created(result.Inserted);
        return TypedResults.Ok(result);
    }

    public static async Task<Ok<DeleteAllResult>> DeleteAllBooks(
        IMongoCollection<Book> books, BooksMetrics metrics, CancellationToken cancellationToken)
    {
        var result = await books.DeleteManyAsync(Builders<Book>.Filter.Empty, cancellationToken);
        metrics.Deleted(result.DeletedCount);
        return TypedResults.Ok(new DeleteAllResult(result.DeletedCount));
    }
}

public sealed record DeleteAllResult(long Deleted);
