using Books.Api.Books;
using Books.Api.Database;
using Books.Api.Http;
using Books.Api.Limits;
using Books.Api.OpenApi;
using Books.Api.Security;
using Books.Settings;
using Scalar.AspNetCore;

var builder = WebApplication.CreateBuilder(Extensions.ApplicationOptions(args)); // its settings beside the binary, wherever it is started
BuildTimeDocument.UsePlaceholderSettings(builder);

builder.AddServiceDefaults();
builder.AddBooksFrontDoor();
builder.AddMongoDBClient(BooksApiSettings.DatabaseConnectionName, configureClientSettings: BooksMongoClientSettings.Configure(builder));
builder.AddBooks();
builder.AddBooksLimits();
builder.AddBooksSecurity();

builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = BooksProblems.Explain);
builder.Services.AddBooksOpenApi();

var app = builder.Build();

app.UseBooksMetrics();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseBooksFrontDoor();
app.UseBooksLimits();
app.UseBooksSecurity();

app.MapOpenApi();
if (app.Environment.IsDevelopment())
{
    // The API reference reads the document's bearer scheme: paste a token from the dashboard's
    // "Issue a development token" command under Authentication to try the writes.
    app.MapScalarApiReference(options => options
        .WithTitle("Books API")
        .AddPreferredSecuritySchemes(BooksOpenApi.SecuritySchemeName)
        .EnablePersistentAuthentication());
}

app.MapDefaultEndpoints();
app.MapBooksApi();
app.MapBooksAdminApi(app.Environment);

app.Run();
