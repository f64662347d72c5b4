# embed.cmake - turn a text file into a C array at build time, so that a
# program gilsim runs elsewhere (the calibration's Python) lives in a file
# of its own language and still ships inside the binary.
#   cmake -DIN=file.py -DOUT=file.c -DNAME=symbol -P embed.cmake
# defines `const unsigned char NAME[]`, the file's bytes and a NUL.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" n)
math(EXPR n "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" body "${body}")
get_filename_component(src "${IN}" NAME)
file(WRITE "${OUT}.tmp"
  "/* Generated from ${src} by cmake/embed.cmake at build time. */\n"
  "extern const unsigned char ${NAME}[];\n"
  "const unsigned char ${NAME}[${n} + 1] = {\n${body}0x00};\n")
file(RENAME "${OUT}.tmp" "${OUT}")
