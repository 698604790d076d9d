using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Books.Api.Books;

public static class BooksApi
{
    public static RouteGroupBuilder MapBooksApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/books").WithTags("Books");

        api.MapPost("/", CreateBook)
            .WithName(nameof(CreateBook))
            .WithSummary("Add a book")
            .ProducesValidationProblem();

        api.MapGet("/{id}", GetBook)
            .WithName(nameof(GetBook))
            .WithSummary("Get a book by id")
            .ProducesProblem(StatusCodes.Status404NotFound);

        return api;
    }

    public static async Task<Created<BookResponse>> CreateBook(
        CreateBookRequest request,
        IMongoCollection<Book> books,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var book = new Book
        {
            Id = ObjectId.GenerateNewId(),
            Title = request.Title!.Trim(),
            Author = request.Author!.Trim(),
            CreatedAt = TruncateToMilliseconds(clock.GetUtcNow().UtcDateTime),
        };

        await books.InsertOneAsync(book, cancellationToken: cancellationToken);

        return TypedResults.Created($"/api/books/{book.Id}", BookResponse.From(book));
    }

    public static async Task<Results<Ok<BookResponse>, ProblemHttpResult>> GetBook(
        [Description("The book's id (24 hex digits).")] string id,
        IMongoCollection<Book> books,
        CancellationToken cancellationToken)
    {
        // A malformed id cannot name a book, so it is a 404 like any unknown id.
        if (!ObjectId.TryParse(id, out var objectId))
        {
            return BookNotFound(id);
        }

        var book = await books.Find(b => b.Id == objectId).FirstOrDefaultAsync(cancellationToken);
        return book is null ? BookNotFound(id) : TypedResults.Ok(BookResponse.From(book));
    }

    // BSON dates hold milliseconds; the response must show what was stored.
    private static DateTime TruncateToMilliseconds(DateTime value) =>
        value.AddTicks(-(value.Ticks % TimeSpan.TicksPerMillisecond));

    private static ProblemHttpResult BookNotFound(string id) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status404NotFound,
            title: "Book not found",
            detail: $"No book has the id '{id}'.");
}
